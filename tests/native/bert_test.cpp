// The oracle BERT fixture (sentence-transformers layout, no "bert." prefix): encoder output,
// pooler, mean pooling and normalised embeddings against upstream transformers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "io/config.h"
#include "models/bert.h"
#include "ops/pooling.h"
#include "test_util.h"
#include "tokenizers/tokenizer.h"

namespace wax {
namespace {

using testing::read_npy;

std::vector<int32_t> to_int32(const testing::npy_array& a) { return {a.values.begin(), a.values.end()}; }

void expect_close(const std::vector<float>& actual, const testing::npy_array& reference) {
  ASSERT_EQ(actual.size(), reference.values.size());
  double scale = 1, worst = 0;
  for (double v : reference.values) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < actual.size(); ++i) worst = std::max(worst, std::abs(double(actual[i]) - reference.values[i]));
  EXPECT_LE(worst, 1e-4 * scale) << "max abs difference " << worst;
}

std::unique_ptr<encoder_model> load_bert(const std::string& dir, bool with_bert_prefix = false) {
  weights w;
  if (!with_bert_prefix) {
    w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
  } else {  // the same tensors renamed "bert.<name>", as plain transformers checkpoints store them
    byte_buffer original = testing::read_file(dir + "/model.safetensors");
    uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | uint64_t(original.data()[i]);
    json header = json::parse(std::string(reinterpret_cast<const char*>(original.data() + 8), length));
    json renamed;
    for (auto& [name, spec] : header.items()) renamed[name == "__metadata__" ? name : "bert." + name] = spec;
    std::string text = renamed.dump();
    text.append((8 - text.size() % 8) % 8, ' ');
    const size_t data_size = original.size() - 8 - length;
    byte_buffer bytes = byte_buffer::allocate(8 + text.size() + data_size);
    for (int i = 0; i < 8; ++i) bytes.data()[i] = std::byte((text.size() >> (8 * i)) & 0xff);
    std::copy_n(reinterpret_cast<const std::byte*>(text.data()), text.size(), bytes.data() + 8);
    std::copy_n(original.data() + 8 + length, data_size, bytes.data() + 8 + text.size());
    w.add_file("model.safetensors", std::move(bytes));
  }
  return encoder_load(testing::read_text(dir + "/config.json"), std::move(w));
}

class bert_fixture : public ::testing::TestWithParam<bool> {};

TEST_P(bert_fixture, matches_upstream_with_and_without_the_bert_prefix) {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  auto model = load_bert(dir, GetParam());
  const auto ids = read_npy(dir + "/input_ids.npy");
  const auto mask = to_int32(read_npy(dir + "/attention_mask.npy"));
  const auto types = to_int32(read_npy(dir + "/token_type_ids.npy"));
  const int64_t batch = ids.shape[0], seq = ids.shape[1], hidden = model->hidden_size();

  encoder_output out = model->forward(to_int32(ids).data(), types.data(), mask.data(), batch, seq);
  expect_close(out.last_hidden_state.values(), read_npy(dir + "/last_hidden_state.npy"));
  expect_close(out.pooler_output.values(), read_npy(dir + "/pooler_output.npy"));

  std::vector<float> pooled(static_cast<size_t>(batch * hidden));
  mean_pool(out.last_hidden_state.data(), mask.data(), batch, seq, hidden, pooled.data());
  expect_close(pooled, read_npy(dir + "/mean_pooled.npy"));
  l2_normalize(pooled.data(), batch, hidden);
  expect_close(pooled, read_npy(dir + "/embedding_normalized.npy"));
}

INSTANTIATE_TEST_SUITE_P(oracle, bert_fixture, ::testing::Values(false, true));

// Text in, sentence embeddings out, as sentence-transformers computes them: the fixture's own
// tokenizer.json, right padding, mean pooling over the mask, L2 normalisation.
TEST(bert, sentence_embeddings_from_text_match_upstream) {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  const tokenizer tok = tokenizer::from_json(testing::read_text(dir + "/tokenizer.json"), testing::read_text(dir + "/tokenizer_config.json"));
  const json reference = json::parse(testing::read_text(dir + "/reference.json"));
  std::vector<std::vector<int32_t>> rows;
  size_t seq = 0;
  for (const auto& text : reference["texts"]) {
    rows.push_back(tok.encode(text.get<std::string>()).ids);
    seq = std::max(seq, rows.back().size());
  }
  const int64_t batch = int64_t(rows.size());
  std::vector<int32_t> ids(static_cast<size_t>(batch) * seq, 0), mask(ids.size(), 0);
  for (size_t b = 0; b < rows.size(); ++b)
    for (size_t t = 0; t < rows[b].size(); ++t) {
      ids[b * seq + t] = rows[b][t];
      mask[b * seq + t] = 1;
    }
  auto model = load_bert(dir);
  const int64_t hidden = model->hidden_size();
  encoder_output out = model->forward(ids.data(), nullptr, mask.data(), batch, int64_t(seq));
  std::vector<float> pooled(static_cast<size_t>(batch * hidden));
  mean_pool(out.last_hidden_state.data(), mask.data(), batch, int64_t(seq), hidden, pooled.data());
  l2_normalize(pooled.data(), batch, hidden);
  testing::npy_array expected = read_npy(dir + "/embedding_normalized.npy");
  expected.values.resize(pooled.size());  // rows 0..2 are the single texts; row 3 is the pair
  expected.shape = {batch, hidden};
  expect_close(pooled, expected);
}

TEST(bert, refuses_inputs_longer_than_its_positions) {
  auto model = load_bert(testing::fixture_path("bert_tiny_st"));
  std::vector<int32_t> ids(200, 5);
  try {
    model->forward(ids.data(), nullptr, nullptr, 1, 200);
    FAIL() << "expected an error";
  } catch (const error& e) {
    EXPECT_EQ(e.code(), error_bad_input);
    EXPECT_NE(std::string(e.what()).find("max_position_embeddings (128)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wax
