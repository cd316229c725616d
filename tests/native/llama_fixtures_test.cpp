// The five oracle Llama fixtures (tests/fixtures, from ../shared/oracle): logits, greedy ids with
// the KV cache, and the left-padded batch, against upstream transformers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "generation/generate.h"
#include "test_util.h"

namespace wax {
namespace {

using testing::npy_array;
using testing::read_npy;

// (fixture, threads): every check runs on one thread and on the pool's two.
class llama_fixture : public ::testing::TestWithParam<std::tuple<std::string, int>> {
 protected:
  void SetUp() override { thread_pool::instance().set_threads(std::get<1>(GetParam())); }
  void TearDown() override { thread_pool::instance().set_threads(1); }
  std::string dir() const { return testing::fixture_path(std::get<0>(GetParam())); }
  npy_array npy(const std::string& name) const { return read_npy(dir() + "/" + name); }
};

std::vector<int32_t> to_int32(const npy_array& a) { return {a.values.begin(), a.values.end()}; }

// max |a - b| <= 1e-4 · max(1, max |reference|) over the entries `keep` selects.
template <typename Keep>
void expect_close(const std::vector<float>& actual, const npy_array& reference, Keep keep) {
  ASSERT_EQ(actual.size(), reference.values.size());
  double scale = 1, worst = 0;
  for (double v : reference.values) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < actual.size(); ++i)
    if (keep(i)) worst = std::max(worst, std::abs(double(actual[i]) - reference.values[i]));
  EXPECT_LE(worst, 1e-4 * scale) << "max abs difference " << worst << " at reference scale " << scale;
}

TEST_P(llama_fixture, logits_match_upstream) {
  auto model = testing::load_causal_lm(dir());
  const npy_array input = npy("input_ids.npy");
  const int64_t seq = input.shape[1];
  kv_cache cache = model->new_cache(1, seq);
  std::vector<float> logits(static_cast<size_t>(seq * model->vocab_size()));
  model->forward(to_int32(input).data(), nullptr, 1, seq, cache, logits_for::all_positions, logits.data());
  expect_close(logits, npy("logits.npy"), [](size_t) { return true; });
}

TEST_P(llama_fixture, greedy_ids_with_kv_cache_match_upstream) {
  auto model = testing::load_causal_lm(dir());
  const npy_array input = npy("input_ids.npy");
  const npy_array expected = npy("greedy_ids.npy");
  generate_options options;
  options.max_new_tokens = expected.shape[1] - input.shape[1];
  auto ids = generate(*model, to_int32(input).data(), nullptr, 1, input.shape[1], options);
  EXPECT_EQ(ids, to_int32(expected));
}

TEST_P(llama_fixture, left_padded_batch_matches_upstream) {
  auto model = testing::load_causal_lm(dir());
  const npy_array input = npy("batch_input_ids.npy");
  const npy_array mask_array = npy("batch_attention_mask.npy");
  const int64_t batch = input.shape[0], seq = input.shape[1], vocab = model->vocab_size();
  const auto ids = to_int32(input);
  const auto mask = to_int32(mask_array);

  kv_cache cache = model->new_cache(batch, seq);
  std::vector<float> logits(static_cast<size_t>(batch * seq * vocab));
  model->forward(ids.data(), mask.data(), batch, seq, cache, logits_for::all_positions, logits.data());
  expect_close(logits, npy("batch_logits.npy"), [&](size_t i) { return mask[i / size_t(vocab)] != 0; });

  const npy_array expected = npy("batch_greedy_ids.npy");
  generate_options options;
  options.max_new_tokens = expected.shape[1] - seq;
  EXPECT_EQ(generate(*model, ids.data(), mask.data(), batch, seq, options), to_int32(expected));
}

INSTANTIATE_TEST_SUITE_P(oracle, llama_fixture,
                         ::testing::Combine(::testing::Values("llama_gqa_untied", "llama_gqa_tied", "llama3_ropescaled_tied",
                                                              "llama_gqa_tied_bf16", "llama_gqa_long_prompt"),
                                            ::testing::Values(1, 2)),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::to_string(std::get<1>(info.param)) + "_threads";
                         });

}  // namespace
}  // namespace wax
