#include "ops/conv.h"

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "ops/matmul.h"

namespace wax {
namespace {

// Output positions a thread unrolls and multiplies at once: their im2col rows
// (positions × in_channels · kernel_size floats) stay in cache, and the packed GEMM's panels fill.
constexpr int64_t positions_per_block = 64;

// The im2col rows of output positions [first, first + count) of one sequence x (length, in):
// row[c · kernel_size + j] = x[t · stride - padding + j][c], zero outside the sequence, so that
// each row is a dot product with the weight's (in, kernel_size) slice of one output channel.
void im2col_rows(const float* x, int64_t length, const conv1d_shape& shape, int64_t first, int64_t count, float* rows) {
  const int64_t width = shape.in_channels * shape.kernel_size;
  for (int64_t r = 0; r < count; ++r) {
    float* row = rows + r * width;
    const int64_t start = (first + r) * shape.stride - shape.padding;
    for (int64_t j = 0; j < shape.kernel_size; ++j) {
      const int64_t position = start + j;
      const bool inside = position >= 0 && position < length;
      const float* source = x + position * shape.in_channels;
      for (int64_t c = 0; c < shape.in_channels; ++c) row[c * shape.kernel_size + j] = inside ? source[c] : 0.0f;
    }
  }
}

}  // namespace

int64_t conv1d_shape::out_length(int64_t length) const {
  const int64_t span = length + 2 * padding - kernel_size;
  return span < 0 ? 0 : span / stride + 1;
}

void conv1d(const float* x, int64_t batch, int64_t length, const weight_view& weight, const float* bias,
            const conv1d_shape& shape, float* y) {
  const int64_t width = shape.in_channels * shape.kernel_size, out_length = shape.out_length(length);
  // (out_channels, in_channels · kernel_size): the stored weight read as the matrix of a linear layer.
  const weight_view as_matrix{weight.type, {shape.out_channels, width}, weight.data, weight.nbytes};
  const int64_t blocks_per_row = (out_length + positions_per_block - 1) / positions_per_block;
  thread_pool::instance().parallel_for(batch * blocks_per_row, 1, [&](int64_t first_block, int64_t end_block) {
    std::vector<float> rows(static_cast<size_t>(positions_per_block * width));  // (positions, in · kernel_size)
    for (int64_t block = first_block; block < end_block; ++block) {
      const int64_t b = block / blocks_per_row, first = (block % blocks_per_row) * positions_per_block;
      const int64_t count = std::min(positions_per_block, out_length - first);
      im2col_rows(x + b * length * shape.in_channels, length, shape, first, count, rows.data());
      float* out = y + (b * out_length + first) * shape.out_channels;
      matmul_xwt(rows.data(), count, width, as_matrix, out, shape.out_channels);
      if (!bias) continue;
      for (int64_t r = 0; r < count; ++r)
        for (int64_t o = 0; o < shape.out_channels; ++o) out[r * shape.out_channels + o] += bias[o];
    }
  });
}

void conv1d_reference(const float* x, int64_t batch, int64_t length, const weight_view& weight, const float* bias,
                      const conv1d_shape& shape, float* y) {
  const int64_t out_length = shape.out_length(length), k = shape.kernel_size;
  std::vector<float> w(static_cast<size_t>(weight.numel()));  // (out, in, kernel_size)
  tensor_to_f32(weight, 0, weight.numel(), w.data());
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < out_length; ++t)
      for (int64_t o = 0; o < shape.out_channels; ++o) {
        double sum = bias ? bias[o] : 0.0;
        for (int64_t c = 0; c < shape.in_channels; ++c)
          for (int64_t j = 0; j < k; ++j) {
            const int64_t position = t * shape.stride - shape.padding + j;
            if (position < 0 || position >= length) continue;
            sum += double(x[(b * length + position) * shape.in_channels + c]) * w[size_t((o * shape.in_channels + c) * k + j)];
          }
        y[(b * out_length + t) * shape.out_channels + o] = float(sum);
      }
}

}  // namespace wax
