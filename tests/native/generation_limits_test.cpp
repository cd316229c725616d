// The sizes a generation is allowed: the KV cache grows as tokens come (and gives the logits of a
// cache sized up front), max_new_tokens is checked against the model's positions and against what
// wasm32 can hold, every size is counted in 64 bits, and empty inputs never reach a forward pass.
#include <gtest/gtest.h>

#include <functional>
#include <limits>

#include "core/error.h"
#include "core/sizes.h"
#include "generation/generate.h"
#include "models/bert.h"
#include "test_util.h"

namespace wax {
namespace {

const std::string fixture = "llama_gqa_tied";  // max_position_embeddings 2048

std::vector<int32_t> prompt() {
  const auto ids = testing::read_npy(testing::fixture_path(fixture) + "/input_ids.npy");
  return {ids.values.begin(), ids.values.end()};
}



generate_options greedy(int64_t max_new_tokens) {
  generate_options options;
  options.max_new_tokens = max_new_tokens;
  return options;
}

TEST(kv_cache_growth, a_growing_cache_gives_the_logits_of_one_sized_up_front) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  const std::vector<int32_t> ids = prompt();
  const int64_t vocab = model->vocab_size(), steps = 150;
  kv_cache sized = model->new_cache(1, int64_t(ids.size()) + steps);
  kv_cache growing = model->new_cache(1, 1);  // grows at the prompt, then 16, 32, ... positions
  std::vector<float> expected(static_cast<size_t>(vocab)), actual(expected.size());
  model->forward(ids.data(), nullptr, 1, int64_t(ids.size()), sized, logits_for::last_position, expected.data());
  model->forward(ids.data(), nullptr, 1, int64_t(ids.size()), growing, logits_for::last_position, actual.data());
  ASSERT_EQ(actual, expected);
  for (int64_t step = 0; step < steps; ++step) {
    const int32_t next = int32_t(std::max_element(expected.begin(), expected.end()) - expected.begin());
    model->forward(&next, nullptr, 1, 1, sized, logits_for::last_position, expected.data());
    model->forward(&next, nullptr, 1, 1, growing, logits_for::last_position, actual.data());
    ASSERT_EQ(actual, expected) << "after " << step + 1 << " new tokens, capacity " << growing.capacity();
  }
  EXPECT_GE(growing.capacity(), int64_t(ids.size()) + steps);
  EXPECT_LT(growing.capacity(), 2 * (int64_t(ids.size()) + steps));
}

TEST(kv_cache_growth, the_generator_holds_the_positions_it_reached) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  const std::vector<int32_t> ids = prompt();
  const int64_t seq = int64_t(ids.size());
  const uint64_t per_position = model->cache_shape().bytes_per_position(1);
  generator g(*model, ids.data(), nullptr, 1, seq, greedy(2000));
  EXPECT_LE(g.cache_bytes(), per_position * uint64_t(seq + 64)) << "sized for max_new_tokens up front";
  while (g.new_tokens() < 100) g.step();
  EXPECT_GE(g.cache_bytes(), per_position * uint64_t(seq + 100));
  EXPECT_LE(g.cache_bytes(), per_position * uint64_t(2 * (seq + 100)));

  // and its greedy ids are the ones of a cache sized for all of them
  const std::vector<int32_t> grown = generate(*model, ids.data(), nullptr, 1, seq, greedy(200));
  kv_cache cache = model->new_cache(1, seq + 200);
  std::vector<float> logits(static_cast<size_t>(model->vocab_size()));
  std::vector<int32_t> expected = ids;
  model->forward(ids.data(), nullptr, 1, seq, cache, logits_for::last_position, logits.data());
  for (int step = 0; step < 200; ++step) {
    expected.push_back(int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
    model->forward(&expected.back(), nullptr, 1, 1, cache, logits_for::last_position, logits.data());
  }
  EXPECT_EQ(grown, expected);
}

TEST(generation_limits, max_new_tokens_past_the_models_positions_is_bad_input) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  const std::vector<int32_t> ids = prompt();
  for (const int64_t max_new_tokens : {int64_t(1) << 26, int64_t(800000), int64_t(1000000000), int64_t(2049)}) {
    SCOPED_TRACE(max_new_tokens);
    const std::string message = testing::error_message(
        [&] { generator(*model, ids.data(), nullptr, 1, int64_t(ids.size()), greedy(max_new_tokens)); }, error_bad_input);
    testing::expect_contains(message, {"max_new_tokens", std::to_string(max_new_tokens), "max_position_embeddings (2048)"});
  }
  testing::expect_contains(testing::error_message([&] { generator(*model, ids.data(), nullptr, 1, int64_t(ids.size()), greedy(-1)); },
                                error_bad_input),
                  {"max_new_tokens", "non-negative"});
  // Prompt and new tokens together may pass max_position_embeddings: the JS side warns.
  EXPECT_NO_THROW(generator(*model, ids.data(), nullptr, 1, int64_t(ids.size()), greedy(2048)));
}

TEST(generation_limits, a_cache_that_could_never_fit_is_too_large) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  // 2 layers × 2 kv heads × 16 dims × 2 (keys, values) × 4 bytes + 1 visibility byte = 513 bytes a
  // position and row: 4096 rows of 2049 positions need 4.3 GB.
  const int64_t batch = 4096;
  const std::vector<int32_t> ids(batch, 1);
  ASSERT_EQ(model->cache_shape().bytes_per_position(batch), 513u * batch);
  const int64_t fits = int64_t(max_buffer_bytes / (513u * batch)) - 1;
  const std::string message =
      testing::error_message([&] { generator(*model, ids.data(), nullptr, batch, 1, greedy(2048)); }, error_too_large);
  testing::expect_contains(message, {"max_new_tokens", "2048", "at most " + std::to_string(fits) + " fit"});
  EXPECT_NO_THROW(generator(*model, ids.data(), nullptr, batch, 1, greedy(2)));
}

TEST(generation_limits, sizes_that_wrap_in_32_bits_are_too_large) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  testing::expect_contains(testing::error_message([&] { model->new_cache(1 << 20, 1 << 20); }, error_too_large), {"KV cache", "4.00 GiB"});
  // 2^17 × 2^16 × 512 floats wraps to 0 in 32 bits
  testing::expect_contains(testing::error_message([] { checked_elements({int64_t(1) << 17, int64_t(1) << 16, 512}, 4, "the logits"); },
                                error_too_large),
                  {"the logits", "131072 × 65536 × 512"});
  EXPECT_EQ(checked_elements({int64_t(1) << 62, 0}, 4, "empty"), 0u);
  EXPECT_EQ(checked_elements({1 << 20, 1 << 10}, 4, "4 GiB"), size_t(1) << 30);
  EXPECT_EQ(saturating_product({uint64_t(1) << 40, uint64_t(1) << 40}), std::numeric_limits<uint64_t>::max());
}

TEST(empty_inputs, never_reach_a_forward_pass) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  const std::vector<int32_t> ids = prompt();
  std::vector<float> logits(static_cast<size_t>(model->vocab_size()));
  kv_cache cache = model->new_cache(1, 4);
  for (const auto& [batch, seq] : {std::pair<int64_t, int64_t>{1, 0}, {0, 3}, {-1, 3}, {1, -2}}) {
    SCOPED_TRACE(std::to_string(batch) + " × " + std::to_string(seq));
    testing::expect_contains(testing::error_message([&] { model->forward(ids.data(), nullptr, batch, seq, cache, logits_for::last_position,
                                                       logits.data()); },
                                  error_bad_input),
                    {"input_ids", "must both be positive"});
    testing::expect_contains(testing::error_message([&] { generator(*model, ids.data(), nullptr, batch, seq, greedy(3)); }, error_bad_input),
                    {"input_ids", "must both be positive"});
  }
  EXPECT_EQ(cache.length(), 0);
  auto encoder = encoder_load(testing::read_text(testing::fixture_path("bert_tiny_st/config.json")), [] {
    weights w;
    w.add_file("model.safetensors", testing::read_file(testing::fixture_path("bert_tiny_st/model.safetensors")));
    return w;
  }());
  testing::expect_contains(testing::error_message([&] { encoder->forward(ids.data(), nullptr, nullptr, 1, 0); }, error_bad_input),
                  {"input_ids", "must both be positive"});
}

TEST(empty_inputs, a_row_of_padding_only_leaves_the_other_rows_alone) {
  auto model = testing::load_causal_lm(testing::fixture_path(fixture));
  const std::vector<int32_t> ids = prompt();
  const int64_t seq = int64_t(ids.size());
  std::vector<int32_t> batch_ids = ids, mask(static_cast<size_t>(2 * seq), 1);
  batch_ids.insert(batch_ids.end(), ids.begin(), ids.end());
  std::fill(mask.begin() + seq, mask.end(), 0);  // the second row is all padding
  const auto both = generate(*model, batch_ids.data(), mask.data(), 2, seq, greedy(8));
  const auto alone = generate(*model, ids.data(), nullptr, 1, seq, greedy(8));
  EXPECT_EQ(std::vector<int32_t>(both.begin(), both.begin() + seq + 8), alone);
}

}  // namespace
}  // namespace wax
