// Word-level timing for Whisper as transformers computes it (WhisperForConditionalGeneration.
// _extract_token_timestamps, after OpenAI's timing.py): the cross-attention of the alignment heads,
// standardised, median-filtered and averaged, aligned with the audio frames by dynamic time warping.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "io/config.h"

namespace wax {

// The monotone path through `cost` (rows, cols) from (0, 0) to (rows − 1, cols − 1) that adds up
// to the least, stepping down, right or diagonally; ties prefer a step right, as transformers'.
// The path's (row, col) pairs in order.
struct warping_path {
  std::vector<int64_t> rows, cols;
};
warping_path dynamic_time_warping(const std::vector<double>& cost, int64_t rows, int64_t cols);

// Each value replaced by the median of the `width` (odd) around it, the row mirrored at its ends
// (torch's reflect padding); a row no longer than width / 2 is left alone.
void median_filter(float* row, int64_t n, int64_t width);

// Start times in seconds of a row's tokens: weights (positions, heads, n_keys) are the
// cross-attention of decoder positions 0 … positions − 1 (position p predicts token p + 1), of
// which the first n_frames keys (the audio's, ≥ 1) are aligned. Gives positions + 1 times, token
// 0's being 0.
std::vector<float> token_timestamps(const float* weights, int64_t positions, int64_t heads, int64_t n_keys,
                                    int64_t n_frames, int64_t median_filter_width, double time_precision);

// generation_config.json's alignment_heads ([[layer, head], ...]); without them every head of
// the last half of the decoder's layers, as transformers does. WAX_BAD_CONFIG naming the field
// for a malformed entry.
std::vector<std::pair<int64_t, int64_t>> alignment_heads_from(const json& generation_config, int64_t n_layers,
                                                              int64_t n_heads);

}  // namespace wax
