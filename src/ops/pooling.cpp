#include "ops/pooling.h"

#include <algorithm>
#include <cmath>

namespace wax {

void mean_pool(const float* hidden, const int32_t* mask, int64_t batch, int64_t seq, int64_t dim, float* out) {
  for (int64_t b = 0; b < batch; ++b) {
    float* row = out + b * dim;
    std::fill(row, row + dim, 0.0f);
    float count = 0;
    for (int64_t t = 0; t < seq; ++t) {
      if (mask && !mask[b * seq + t]) continue;
      const float* token = hidden + (b * seq + t) * dim;
      for (int64_t i = 0; i < dim; ++i) row[i] += token[i];
      count += 1;
    }
    // sentence-transformers clamps the count at 1e-9, so an all-padding row gives zeros
    for (int64_t i = 0; i < dim; ++i) row[i] /= std::max(count, 1e-9f);
  }
}

void cls_pool(const float* hidden, int64_t batch, int64_t seq, int64_t dim, float* out) {
  for (int64_t b = 0; b < batch; ++b) std::copy_n(hidden + b * seq * dim, dim, out + b * dim);
}

void l2_normalize(float* x, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = x + r * dim;
    double sum_squares = 0;
    for (int64_t i = 0; i < dim; ++i) sum_squares += double(row[i]) * row[i];
    // torch.nn.functional.normalize divides by max(norm, 1e-12)
    const float norm = float(std::max(std::sqrt(sum_squares), 1e-12));
    for (int64_t i = 0; i < dim; ++i) row[i] /= norm;
  }
}

}  // namespace wax
