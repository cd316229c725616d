#include "generation/whisper_timestamps.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wax {
namespace {

constexpr float removed = -std::numeric_limits<float>::infinity();

void remove_range(float* logits, int64_t vocab, int64_t first, int64_t end) {
  first = std::clamp<int64_t>(first, 0, vocab);
  end = std::clamp<int64_t>(end, first, vocab);
  std::fill(logits + first, logits + end, removed);
}

}  // namespace

void apply_timestamp_rules(float* logits, int64_t vocab, const int32_t* generated, int64_t n_generated,
                           const timestamp_rules& rules) {
  const int64_t timestamp_begin = int64_t(rules.no_timestamps_token_id) + 1;
  const auto is_timestamp = [&](int64_t i) { return generated[i] >= timestamp_begin; };
  if (rules.no_timestamps_token_id >= 0 && rules.no_timestamps_token_id < vocab) logits[rules.no_timestamps_token_id] = removed;

  // Pairs: after a lone timestamp comes another or the end of text; after a pair, text.
  const bool last_was_timestamp = n_generated >= 1 && is_timestamp(n_generated - 1);
  const bool penultimate_was_timestamp = n_generated < 2 || is_timestamp(n_generated - 2);
  if (last_was_timestamp) {
    if (penultimate_was_timestamp) remove_range(logits, vocab, timestamp_begin, vocab);
    else remove_range(logits, vocab, 0, rules.eos_token_id);
  }

  // Monotonic: no timestamp before the last one (nor the last one again, unless it closes a pair).
  int64_t last_timestamp = -1;
  for (int64_t i = 0; i < n_generated; ++i)
    if (is_timestamp(i)) last_timestamp = generated[i];
  if (last_timestamp >= 0) {
    const int64_t lowest = last_was_timestamp && !penultimate_was_timestamp ? last_timestamp : last_timestamp + 1;
    remove_range(logits, vocab, timestamp_begin, lowest);
  }

  // The first new token is a timestamp, at most max_initial_timestamp_index steps in.
  if (n_generated == 0) {
    remove_range(logits, vocab, 0, timestamp_begin);
    if (rules.max_initial_timestamp_index >= 0) remove_range(logits, vocab, timestamp_begin + rules.max_initial_timestamp_index + 1, vocab);
  }

  // A timestamp when all of them together are likelier than the best text token: the softmax's
  // normaliser is common to both sides, so the logits compare as they are.
  if (timestamp_begin >= vocab) return;
  const float max_text = timestamp_begin > 0 ? *std::max_element(logits, logits + timestamp_begin) : removed;
  const float max_timestamp = *std::max_element(logits + timestamp_begin, logits + vocab);
  if (max_timestamp == removed) return;
  double sum = 0;
  for (int64_t i = timestamp_begin; i < vocab; ++i) sum += std::exp(double(logits[i]) - double(max_timestamp));
  if (double(max_timestamp) + std::log(sum) > double(max_text)) remove_range(logits, vocab, 0, timestamp_begin);
}

}  // namespace wax
