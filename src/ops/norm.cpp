#include "ops/norm.h"

#include <cmath>

namespace wax {

void rms_norm(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    float* out = y + r * dim;
    float sum_squares = 0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += row[i] * row[i];
    const float inverse_rms = 1.0f / std::sqrt(sum_squares / float(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) out[i] = weight[i] * (row[i] * inverse_rms);
  }
}

void layer_norm(const float* x, int64_t rows, int64_t dim, const float* weight, const float* bias, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    float* out = y + r * dim;
    float mean = 0;
    for (int64_t i = 0; i < dim; ++i) mean += row[i];
    mean /= float(dim);
    float variance = 0;
    for (int64_t i = 0; i < dim; ++i) variance += (row[i] - mean) * (row[i] - mean);
    const float inverse_std = 1.0f / std::sqrt(variance / float(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) out[i] = (row[i] - mean) * inverse_std * weight[i] + bias[i];
  }
}

}  // namespace wax
