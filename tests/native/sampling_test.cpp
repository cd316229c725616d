// The logits processors and the sampler against direct computations on small vectors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include "generation/sampling.h"

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

}  // namespace
}  // namespace wax
