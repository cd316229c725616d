// nn/ blocks on random weights: the attention block's mask kinds, cross-attention and additive
// bias against each other (the op itself is checked against a naive softmax in ops_test.cpp, and
// the blocks in whole models against the oracle fixtures).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "io/config.h"
#include "nn/attention.h"

namespace wax {
namespace {

constexpr int64_t hidden = 24, n_heads = 6, n_kv_heads = 2, head_dim = 4;

tensor random_tensor(shape_t shape, uint32_t seed) {
  tensor t(std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float& v : t.values()) v = uniform(rng);
  return t;
}

// One safetensors file of random F32 q/k/v/o projections (with biases) under "attn".
weights random_attention_weights() {
  const int64_t q_dim = n_heads * head_dim, kv_dim = n_kv_heads * head_dim;
  const std::vector<std::pair<std::string, shape_t>> tensors = {
      {"attn.q.weight", {q_dim, hidden}},  {"attn.q.bias", {q_dim}},  {"attn.k.weight", {kv_dim, hidden}},
      {"attn.k.bias", {kv_dim}},           {"attn.v.weight", {kv_dim, hidden}}, {"attn.v.bias", {kv_dim}},
      {"attn.o.weight", {hidden, q_dim}}, {"attn.o.bias", {hidden}}};
  json header;
  std::vector<float> values;
  for (const auto& [name, shape] : tensors) {
    const tensor t = random_tensor(shape, uint32_t(values.size() + 1));
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {4 * values.size(), 4 * (values.size() + t.values().size())}}};
    values.insert(values.end(), t.values().begin(), t.values().end());
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  byte_buffer bytes = byte_buffer::allocate(8 + text.size() + 4 * values.size());
  for (int i = 0; i < 8; ++i) bytes.data()[i] = std::byte((text.size() >> (8 * i)) & 0xff);
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  std::memcpy(bytes.data() + 8 + text.size(), values.data(), 4 * values.size());
  weights w;
  w.add_file("model.safetensors", std::move(bytes));
  return w;
}

void expect_near(const tensor& actual, const tensor& expected, float tolerance = 1e-5f) {
  ASSERT_EQ(actual.shape(), expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) ASSERT_NEAR(actual.data()[i], expected.data()[i], tolerance) << "at " << i;
}

class attention_block : public ::testing::Test {
 protected:
  weights w_ = random_attention_weights();
  attention block_ = attention::load(weights_prefix(w_).pp("attn"), {hidden, n_heads, n_kv_heads, head_dim},
                                     {"q", "k", "v", "o", true, true});
  attention_buffers buffers_;
};

TEST_F(attention_block, bidirectional_kinds_agree_and_padding_hides_keys) {
  const int64_t batch = 2, seq = 19;  // odd, and more than one block of 16 queries
  const tensor x = random_tensor({batch, seq, hidden}, 7);
  tensor none, all_real, padded, padded_changed;
  block_.forward(x, x, attention_mask_kind::none, nullptr, nullptr, buffers_, none);
  const std::vector<uint8_t> every_key(size_t(batch * seq), 1);
  block_.forward(x, x, attention_mask_kind::padding, every_key.data(), nullptr, buffers_, all_real);
  expect_near(all_real, none, 0);

  // The second row's last 5 tokens are padding: what they hold must not reach the real queries.
  std::vector<uint8_t> visible = every_key;
  std::fill(visible.end() - 5, visible.end(), 0);
  block_.forward(x, x, attention_mask_kind::padding, visible.data(), nullptr, buffers_, padded);
  tensor x_changed = x;
  for (int64_t t = seq - 5; t < seq; ++t)
    for (int64_t c = 0; c < hidden; ++c) x_changed.row(seq + t)[c] += 3.0f;
  block_.forward(x_changed, x_changed, attention_mask_kind::padding, visible.data(), nullptr, buffers_, padded_changed);
  for (int64_t t = 0; t < 2 * seq - 5; ++t)
    for (int64_t c = 0; c < hidden; ++c) ASSERT_NEAR(padded.row(t)[c], padded_changed.row(t)[c], 1e-5f) << "token " << t;
  bool padding_mattered = false;
  for (int64_t c = 0; c < hidden; ++c) padding_mattered |= std::abs(padded.row(seq)[c] - none.row(seq)[c]) > 1e-4f;
  EXPECT_TRUE(padding_mattered) << "the second row's first query sees fewer keys with padding than without";
}

TEST_F(attention_block, a_large_negative_bias_is_padding_and_cross_attention_reads_its_source) {
  const int64_t batch = 1, n_queries = 5, n_keys = 9;
  const tensor x = random_tensor({batch, n_queries, hidden}, 11), source = random_tensor({batch, n_keys, hidden}, 12);
  std::vector<uint8_t> visible(size_t(n_keys), 1);
  visible[2] = visible[6] = 0;
  std::vector<float> bias(size_t(n_heads * n_queries * n_keys), 0.0f);  // (batch, n_heads, n_queries, n_keys)
  for (size_t i = 0; i < bias.size(); ++i)
    if (!visible[i % size_t(n_keys)]) bias[i] = -1e30f;
  tensor padded, biased;
  block_.forward(x, source, attention_mask_kind::padding, visible.data(), nullptr, buffers_, padded);
  block_.forward(x, source, attention_mask_kind::none, nullptr, bias.data(), buffers_, biased);
  ASSERT_EQ(padded.shape(), (shape_t{batch, n_queries, hidden}));
  expect_near(biased, padded);

  // Self-attention is cross-attention with itself as the source.
  tensor self, cross;
  block_.forward(source, source, attention_mask_kind::none, nullptr, nullptr, buffers_, self);
  const tensor copy = source;
  block_.forward(source, copy, attention_mask_kind::none, nullptr, nullptr, buffers_, cross);
  expect_near(cross, self, 0);
}

TEST_F(attention_block, a_prompt_in_pieces_through_the_cache_matches_the_whole_prompt) {
  const int64_t seq = 7;
  const tensor x = random_tensor({1, seq, hidden}, 13);
  const std::vector<int64_t> positions = {0, 1, 2, 3, 4, 5, 6};
  kv_cache whole_cache({1, n_kv_heads, head_dim}, 1, 4), piece_cache({1, n_kv_heads, head_dim}, 1, 4);
  whole_cache.append(nullptr, seq);
  tensor whole;
  block_.forward_cached(x, positions.data(), whole_cache, 0, 0, 0, buffers_, whole);

  tensor first(shape_t{1, 4, hidden}), second(shape_t{1, 3, hidden}), out_first, out_second;
  std::copy_n(x.data(), first.numel(), first.data());
  std::copy_n(x.data() + first.numel(), second.numel(), second.data());
  piece_cache.append(nullptr, 4);
  block_.forward_cached(first, positions.data(), piece_cache, 0, 0, 0, buffers_, out_first);
  piece_cache.append(nullptr, 3);
  block_.forward_cached(second, positions.data() + 4, piece_cache, 0, 4, 0, buffers_, out_second);
  for (int64_t t = 0; t < seq; ++t)
    for (int64_t c = 0; c < hidden; ++c)
      ASSERT_NEAR(whole.row(t)[c], (t < 4 ? out_first.row(t) : out_second.row(t - 4))[c], 1e-5f) << "token " << t;
}

}  // namespace
}  // namespace wax
