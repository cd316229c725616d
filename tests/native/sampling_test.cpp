// The logits processors and the sampler against direct computations on small vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "core/error.h"
#include "generation/generate.h"
#include "generation/sampling.h"
#include "test_util.h"

namespace wax {
namespace {

sampling_options sample_with(float temperature = 1, int64_t top_k = 0, float top_p = 1, float min_p = 0) {
  sampling_options o;
  o.do_sample = true;
  o.temperature = temperature;
  o.top_k = top_k;
  o.top_p = top_p;
  o.min_p = min_p;
  return o;
}

// Which tokens a sampler can pick: draw many times and collect them.
std::map<int32_t, int> draw(const std::vector<float>& logits, const sampling_options& options, int draws = 4000) {
  pcg32 random(7);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> scratch = logits;
    ++counts[choose_token(scratch.data(), int64_t(scratch.size()), {}, options, random)];
  }
  return counts;
}

TEST(sampling, pcg32_is_deterministic_and_seed_dependent) {
  pcg32 a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint32_t x = a.next();
    EXPECT_EQ(x, b.next());
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
  for (int i = 0; i < 1000; ++i) {
    const double u = a.uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(sampling, greedy_takes_the_argmax) {
  std::vector<float> logits{0.1f, 2.0f, -1.0f, 1.9f};
  pcg32 random(1);
  EXPECT_EQ(choose_token(logits.data(), 4, {}, sampling_options{}, random), 1);
}

TEST(sampling, repetition_penalty_divides_positive_and_multiplies_negative_logits_once) {
  std::vector<float> logits{2.0f, -1.0f, 3.0f};
  apply_repetition_penalty(logits.data(), 3, {0, 1, 1, 0, 7}, 2.0f);  // 7 is outside the vocabulary
  EXPECT_FLOAT_EQ(logits[0], 1.0f);
  EXPECT_FLOAT_EQ(logits[1], -2.0f);
  EXPECT_FLOAT_EQ(logits[2], 3.0f);

  sampling_options greedy;
  greedy.repetition_penalty = 4.0f;
  std::vector<float> scores{2.0f, 1.0f};
  pcg32 random(1);
  EXPECT_EQ(choose_token(scores.data(), 2, {0}, greedy, random), 1);  // 2/4 < 1
}

TEST(sampling, top_k_keeps_the_k_best_and_their_ties) {
  const std::vector<float> logits{1, 5, 3, 5, 2};
  auto two = draw(logits, sample_with(1, 2));
  EXPECT_EQ(two.size(), 2u);
  EXPECT_TRUE(two.count(1) && two.count(3));
  auto three = draw(logits, sample_with(1, 3));
  EXPECT_EQ(three.size(), 3u);
  EXPECT_TRUE(three.count(2));
}

TEST(sampling, top_p_keeps_the_smallest_set_reaching_p) {
  // probabilities 0.5, 0.3, 0.15, 0.05
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  auto counts = draw(logits, sample_with(1, 0, 0.75f));
  EXPECT_EQ(counts.size(), 2u);  // 0.5 + 0.3 reaches 0.75
  counts = draw(logits, sample_with(1, 0, 0.85f));
  EXPECT_EQ(counts.size(), 3u);
  counts = draw(logits, sample_with(1, 0, 0.01f));
  EXPECT_EQ(counts.size(), 1u);  // the best token always stays
}

TEST(sampling, min_p_removes_tokens_below_a_fraction_of_the_best) {
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  auto counts = draw(logits, sample_with(1, 0, 1, 0.2f));  // threshold 0.1
  EXPECT_EQ(counts.size(), 3u);
  EXPECT_FALSE(counts.count(3));
}

TEST(sampling, draws_follow_the_softmax_and_temperature_sharpens_it) {
  const std::vector<float> logits{std::log(0.5f), std::log(0.3f), std::log(0.2f)};
  const int draws = 20000;
  auto counts = draw(logits, sample_with(), draws);
  EXPECT_NEAR(counts[0] / double(draws), 0.5, 0.02);
  EXPECT_NEAR(counts[1] / double(draws), 0.3, 0.02);
  EXPECT_NEAR(counts[2] / double(draws), 0.2, 0.02);
  // temperature 0.5 squares the odds: 25 : 9 : 4
  auto sharp = draw(logits, sample_with(0.5f), draws);
  EXPECT_NEAR(sharp[0] / double(draws), 25.0 / 38, 0.02);
}

// generation_config.json's suppress_tokens, begin_suppress_tokens and forced_decoder_ids (Whisper's),
// read with transformers' names and run in the list before the sampling warpers.
TEST(sampling, suppressed_and_forced_tokens_come_from_the_generation_options) {
  const sampling_options options = generate_options_from_json(
      R"({"suppress_tokens": [1], "begin_suppress_tokens": [2], "forced_decoder_ids": [[1, null], [5, 3]], "do_sample": true})").sampling;
  const logits_processors processors(options);
  const std::vector<float> logits{0.0f, 9.0f, 8.0f, 1.0f};
  const std::vector<int32_t> history{0, 0, 0, 0};
  const auto chosen = [&](int64_t index) {
    std::map<int32_t, int> counts;
    pcg32 random(3);
    for (int i = 0; i < 400; ++i) {
      std::vector<float> scratch = logits;
      ++counts[choose_token(scratch.data(), 4, row_state{history, index, 4}, processors, random)];
    }
    return counts;
  };
  const auto first = chosen(4);  // the first new token: 1 and 2 suppressed
  EXPECT_FALSE(first.count(1) || first.count(2));
  EXPECT_TRUE(first.count(0) && first.count(3));
  EXPECT_TRUE(chosen(6).count(2)) << "begin_suppress_tokens holds for the first new token only";
  EXPECT_FALSE(chosen(6).count(1)) << "suppress_tokens holds for every token";
  EXPECT_EQ(chosen(5), (std::map<int32_t, int>{{3, 400}})) << "forced at index 5";

  testing::expect_contains(testing::error_message([] { generate_options_from_json(R"({"suppress_tokens": ["a"]})"); }, error_bad_config),
                           {"'suppress_tokens' expected a token id or a list of token ids"});
  testing::expect_contains(testing::error_message([] { generate_options_from_json(R"({"forced_decoder_ids": [[1]]})"); }, error_bad_config),
                           {"'forced_decoder_ids' expected a list of [index, token id] pairs"});
}

}  // namespace
}  // namespace wax
