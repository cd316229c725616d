#include "generation/generate.h"

#include <algorithm>

namespace wax {

std::vector<int32_t> generate_greedy(const causal_lm& model, const int32_t* ids, const int32_t* mask, int64_t batch,
                                     int64_t seq, const generate_options& options) {
  const int64_t vocab = model.vocab_size();
  kv_cache cache = model.new_cache(batch, seq + options.max_new_tokens);
  std::vector<std::vector<int32_t>> rows(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) rows[size_t(b)].assign(ids + b * seq, ids + (b + 1) * seq);

  std::vector<float> logits(static_cast<size_t>(batch * vocab));  // (batch, vocab) at the last position
  std::vector<int32_t> next(static_cast<size_t>(batch));
  std::vector<bool> finished(static_cast<size_t>(batch), false);
  model.forward(ids, mask, batch, seq, cache, logits_for::last_position, logits.data());
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = logits.data() + b * vocab;
      const int32_t best = int32_t(std::max_element(row, row + vocab) - row);
      next[size_t(b)] = finished[size_t(b)] ? options.pad_token_id : best;
      rows[size_t(b)].push_back(next[size_t(b)]);
      const auto& eos = options.eos_token_ids;
      if (std::find(eos.begin(), eos.end(), best) != eos.end()) finished[size_t(b)] = true;
    }
    const bool all_finished = std::all_of(finished.begin(), finished.end(), [](bool f) { return f; });
    if (all_finished || step + 1 == options.max_new_tokens) break;
    model.forward(next.data(), nullptr, batch, 1, cache, logits_for::last_position, logits.data());
  }

  std::vector<int32_t> result;
  result.reserve(size_t(batch) * rows[0].size());
  for (const auto& row : rows) result.insert(result.end(), row.begin(), row.end());
  return result;
}

}  // namespace wax
