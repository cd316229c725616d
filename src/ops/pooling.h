// Sentence embeddings from token states, as sentence-transformers' Pooling and Normalize
// modules compute them.
#pragma once

#include <cstdint>

namespace wax {

// hidden (batch, seq, dim), mask (batch, seq) or null → out (batch, dim): the mean over the
// tokens whose mask is 1.
void mean_pool(const float* hidden, const int32_t* mask, int64_t batch, int64_t seq, int64_t dim, float* out);

// The first token of each row: (batch, seq, dim) → (batch, dim).
void cls_pool(const float* hidden, int64_t batch, int64_t seq, int64_t dim, float* out);

// Each row scaled to unit L2 norm (rows of zeros stay zero), in place: x (rows, dim).
void l2_normalize(float* x, int64_t rows, int64_t dim);

}  // namespace wax
