// Choosing the next token from logits: the logits processors of transformers' generate, as one
// list built from the options in its order (repetition penalty, suppress_tokens,
// begin_suppress_tokens, forced_decoder_ids, Whisper's timestamp rules; then, when sampling, temperature, top-k, top-p,
// min-p), then greedy or a draw. The random source is our own (PCG32), so one seed gives the same
// draws natively, in Node and in browsers (std distributions differ between standard libraries).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "generation/whisper_timestamps.h"

namespace wax {

struct sampling_options {
  bool do_sample = false;
  float temperature = 1.0f;
  int64_t top_k = 0;      // 0: off
  float top_p = 1.0f;     // 1: off
  float min_p = 0.0f;     // 0: off
  float repetition_penalty = 1.0f;  // 1: off
  std::vector<int32_t> suppress_tokens;        // never chosen
  std::vector<int32_t> begin_suppress_tokens;  // not chosen as the first new token
  std::vector<std::pair<int64_t, int32_t>> forced_decoder_ids;  // (index in the row, the token chosen there)
  std::optional<timestamp_rules> timestamps;  // Whisper's, when timestamps are asked for
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

// What the processors see of a row when its next token is chosen.
struct row_state {
  const std::vector<int32_t>& history;  // its real ids so far: the prompt without padding, then the new tokens
  int64_t index = 0;        // the position being chosen: prompt length (with padding) plus the new tokens
  int64_t begin_index = 0;  // where the new tokens begin: the prompt length
};

// Penalises every token of `history` once (transformers' RepetitionPenaltyLogitsProcessor).
void apply_repetition_penalty(float* logits, int64_t vocab, const std::vector<int32_t>& history, float penalty);

// The options' processors, in transformers' order; each rewrites a row's (vocab,) logits.
class logits_processors {
 public:
  explicit logits_processors(const sampling_options& options);
  void apply(float* logits, int64_t vocab, const row_state& row) const;
  bool do_sample() const { return do_sample_; }

 private:
  using processor = std::function<void(float* logits, int64_t vocab, const row_state& row)>;
  std::vector<processor> list_;
  bool do_sample_;
};

// The next token for one row; `logits` (vocab,) is used as scratch.
int32_t choose_token(float* logits, int64_t vocab, const row_state& row, const logits_processors& processors, pcg32& random);
// The same with the processors built for this one call, at index 0 (the first new token).
int32_t choose_token(float* logits, int64_t vocab, const std::vector<int32_t>& history, const sampling_options& options,
                     pcg32& random);

}  // namespace wax
