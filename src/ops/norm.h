#pragma once

#include <cstdint>

namespace wax {

// RMSNorm (Zhang & Sennrich 2019) as Llama uses it: y = x / sqrt(mean(x²) + eps) · weight,
// row by row over x (rows, dim). y may alias x.
void rms_normalize(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y);

// LayerNorm (Ba et al. 2016): y = (x - mean) / sqrt(var + eps) · weight + bias, row by row.
// y may alias x.
void layer_normalize(const float* x, int64_t rows, int64_t dim, const float* weight, const float* bias, float eps, float* y);

}  // namespace wax
