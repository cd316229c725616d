#include "generation/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_set>

namespace wax {

pcg32::pcg32(uint64_t seed) {
  next();
  state_ += seed;
  next();
}

uint32_t pcg32::next() {
  const uint64_t old = state_;
  state_ = old * 6364136223846793005ull + increment;
  const auto xorshifted = uint32_t(((old >> 18u) ^ old) >> 27u);
  const auto rotation = uint32_t(old >> 59u);
  return (xorshifted >> rotation) | (xorshifted << ((32 - rotation) & 31));
}

double pcg32::uniform() { return next() * (1.0 / 4294967296.0); }

void apply_repetition_penalty(float* logits, int64_t vocab, const std::vector<int32_t>& history, float penalty) {
  std::unordered_set<int32_t> seen;
  for (int32_t id : history) {
    if (id < 0 || id >= vocab || !seen.insert(id).second) continue;
    logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty;
  }
}

namespace {

constexpr float removed = -std::numeric_limits<float>::infinity();

// Softmax of the kept logits into `probs` (removed ones get 0).
void softmax(const float* logits, int64_t vocab, std::vector<double>& probs) {
  const float max_logit = *std::max_element(logits, logits + vocab);
  double sum = 0;
  probs.resize(size_t(vocab));
  for (int64_t i = 0; i < vocab; ++i) sum += probs[size_t(i)] = logits[i] == removed ? 0.0 : std::exp(double(logits[i] - max_logit));
  for (double& p : probs) p /= sum;
}

// Keeps the k best logits, ties with the k-th included (TopKLogitsWarper).
void top_k_filter(float* logits, int64_t vocab, int64_t k) {
  if (k >= vocab) return;
  std::vector<float> sorted(logits, logits + vocab);
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  const float kth = sorted[size_t(k - 1)];
  for (int64_t i = 0; i < vocab; ++i)
    if (logits[i] < kth) logits[i] = removed;
}

// Removes the least likely tokens whose total probability is at most 1 - p, always keeping
// the most likely one (TopPLogitsWarper).
void top_p_filter(float* logits, int64_t vocab, float top_p) {
  std::vector<double> probs;
  softmax(logits, vocab, probs);
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return logits[a] < logits[b]; });
  double cumulative = 0;
  for (int64_t rank = 0; rank + 1 < vocab; ++rank) {
    cumulative += probs[size_t(order[size_t(rank)])];
    if (cumulative > 1.0 - top_p) break;
    logits[order[size_t(rank)]] = removed;
  }
}

// Removes tokens less likely than min_p times the most likely one (MinPLogitsWarper).
void min_p_filter(float* logits, int64_t vocab, float min_p) {
  std::vector<double> probs;
  softmax(logits, vocab, probs);
  const double threshold = min_p * *std::max_element(probs.begin(), probs.end());
  for (int64_t i = 0; i < vocab; ++i)
    if (probs[size_t(i)] < threshold) logits[i] = removed;
}

// Sets the logits of `ids` inside the vocabulary to `removed` (SuppressTokensLogitsProcessor).
void suppress(float* logits, int64_t vocab, const std::vector<int32_t>& ids) {
  for (int32_t id : ids)
    if (id >= 0 && id < vocab) logits[id] = removed;
}

}  // namespace

logits_processors::logits_processors(const sampling_options& options) : do_sample_(options.do_sample) {
  if (options.repetition_penalty != 1.0f)
    list_.push_back([penalty = options.repetition_penalty](float* logits, int64_t vocab, const row_state& row) {
      apply_repetition_penalty(logits, vocab, row.history, penalty);
    });
  if (!options.suppress_tokens.empty())
    list_.push_back([ids = options.suppress_tokens](float* logits, int64_t vocab, const row_state&) { suppress(logits, vocab, ids); });
  if (!options.begin_suppress_tokens.empty())  // SuppressTokensAtBeginLogitsProcessor
    list_.push_back([ids = options.begin_suppress_tokens](float* logits, int64_t vocab, const row_state& row) {
      if (row.index == row.begin_index) suppress(logits, vocab, ids);
    });
  if (!options.forced_decoder_ids.empty())  // ForceTokensLogitsProcessor: only the forced token stays
    list_.push_back([forced = options.forced_decoder_ids](float* logits, int64_t vocab, const row_state& row) {
      for (const auto& [index, token] : forced) {
        if (index != row.index || token < 0 || token >= vocab) continue;
        std::fill(logits, logits + vocab, removed);
        logits[token] = 0.0f;
      }
    });
  if (options.timestamps)  // WhisperTimeStampLogitsProcessor, over what the row generated after its start ids
    list_.push_back([rules = *options.timestamps](float* logits, int64_t vocab, const row_state& row) {
      const int64_t begin = std::min<int64_t>(row.begin_index, int64_t(row.history.size()));
      apply_timestamp_rules(logits, vocab, row.history.data() + begin, int64_t(row.history.size()) - begin, rules);
    });
  if (!options.do_sample) return;
  if (options.temperature != 1.0f)
    list_.push_back([temperature = options.temperature](float* logits, int64_t vocab, const row_state&) {
      for (int64_t i = 0; i < vocab; ++i) logits[i] /= temperature;
    });
  if (options.top_k > 0)
    list_.push_back([k = options.top_k](float* logits, int64_t vocab, const row_state&) { top_k_filter(logits, vocab, k); });
  if (options.top_p < 1.0f)
    list_.push_back([p = options.top_p](float* logits, int64_t vocab, const row_state&) { top_p_filter(logits, vocab, p); });
  if (options.min_p > 0.0f)
    list_.push_back([p = options.min_p](float* logits, int64_t vocab, const row_state&) { min_p_filter(logits, vocab, p); });
}

void logits_processors::apply(float* logits, int64_t vocab, const row_state& row) const {
  for (const processor& process : list_) process(logits, vocab, row);
}

int32_t choose_token(float* logits, int64_t vocab, const std::vector<int32_t>& history, const sampling_options& options,
                     pcg32& random) {
  return choose_token(logits, vocab, row_state{history}, logits_processors(options), random);
}

int32_t choose_token(float* logits, int64_t vocab, const row_state& row, const logits_processors& processors, pcg32& random) {
  processors.apply(logits, vocab, row);
  if (!processors.do_sample()) return int32_t(std::max_element(logits, logits + vocab) - logits);

  std::vector<double> probs;
  softmax(logits, vocab, probs);
  const double target = random.uniform();
  double cumulative = 0;
  int32_t last_kept = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    if (probs[size_t(i)] == 0) continue;
    last_kept = int32_t(i);
    cumulative += probs[size_t(i)];
    if (target < cumulative) return int32_t(i);
  }
  return last_kept;  // rounding left the total just under `target`
}

}  // namespace wax
