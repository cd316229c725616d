#include "ops/norm.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"

namespace wax {

namespace {

// Rows per task: enough values that a task outweighs handing it to a thread.
int64_t rows_per_task(int64_t dim) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(dim, 1)); }

void rms_norm_rows(const float* x, int64_t first, int64_t end, int64_t dim, const float* weight, float eps, float* y) {
  for (int64_t r = first; r < end; ++r) {
    const float* row = x + r * dim;
    float* out = y + r * dim;
    float sum_squares = 0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += row[i] * row[i];
    const float inverse_rms = 1.0f / std::sqrt(sum_squares / float(dim) + eps);
    for (int64_t i = 0; i < dim; ++i) out[i] = weight[i] * (row[i] * inverse_rms);
  }
}

void layer_norm_rows(const float* x, int64_t first, int64_t end, int64_t dim, const float* weight, const float* bias,
                     float eps, float* y) {
  for (int64_t r = first; r < end; ++r) {
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

}  // namespace

void rms_normalize(const float* x, int64_t rows, int64_t dim, const float* weight, float eps, float* y) {
  thread_pool::instance().parallel_for(rows, rows_per_task(dim), [&](int64_t first, int64_t end) {
    rms_norm_rows(x, first, end, dim, weight, eps, y);
  });
}

void layer_normalize(const float* x, int64_t rows, int64_t dim, const float* weight, const float* bias, float eps, float* y) {
  thread_pool::instance().parallel_for(rows, rows_per_task(dim), [&](int64_t first, int64_t end) {
    layer_norm_rows(x, first, end, dim, weight, bias, eps, y);
  });
}

}  // namespace wax
