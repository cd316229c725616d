// Choosing the next token from logits: greedy, or sampled after the logits processors of
// transformers' generate, applied in its order: repetition penalty, temperature, top-k, top-p,
// min-p. The random source is our own (PCG32), so one seed gives the same draws natively, in
// Node and in browsers (std distributions differ between standard libraries).
#pragma once

#include <cstdint>
#include <vector>

namespace wax {

struct sampling_options {
  bool do_sample = false;
  float temperature = 1.0f;
  int64_t top_k = 0;      // 0: off
  float top_p = 1.0f;     // 1: off
  float min_p = 0.0f;     // 0: off
  float repetition_penalty = 1.0f;  // 1: off
  uint64_t seed = 0;
};

// PCG-XSH-RR 32 (O'Neill 2014).
class pcg32 {
 public:
  explicit pcg32(uint64_t seed);
  uint32_t next();
  double uniform();  // [0, 1), 32 random bits

 private:
  uint64_t state_ = 0;
  static constexpr uint64_t increment = 1442695040888963407ull;
};

// Penalises every token of `history` once (transformers' RepetitionPenaltyLogitsProcessor).
void apply_repetition_penalty(float* logits, int64_t vocab, const std::vector<int32_t>& history, float penalty);

// The next token for one row; `logits` (vocab,) is used as scratch.
int32_t choose_token(float* logits, int64_t vocab, const std::vector<int32_t>& history, const sampling_options& options,
                     pcg32& random);

}  // namespace wax
