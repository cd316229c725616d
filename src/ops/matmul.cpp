#include "ops/matmul.h"

#include <algorithm>
#include <vector>

#include "ops/kernels/gemm_f32.h"

namespace wax {
namespace {

// Rows of w widened per pass for decode with F16/BF16 weights: 64 rows × in floats stays in L2.
constexpr int64_t half_panel_rows = 64;

}  // namespace

void matmul_xwt(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride) {
  const int64_t out = w.shape[0];
  if (rows >= 4) {  // prompts and batches: packing pays for itself (bench/kernels.cpp)
    gemm_xwt_packed_4x8(x, rows, in, w, y, y_stride);
    return;
  }
  if (w.type == dtype::f32) {
    gemm_xwt_f32_dot(x, rows, in, reinterpret_cast<const float*>(w.data), out, y, y_stride);
    return;
  }
  std::vector<float> panel(static_cast<size_t>(std::min(out, half_panel_rows) * in));
  for (int64_t first = 0; first < out; first += half_panel_rows) {
    const int64_t count = std::min(half_panel_rows, out - first);
    tensor_to_f32(w, first * in, count * in, panel.data());
    gemm_xwt_f32_dot(x, rows, in, panel.data(), count, y + first, y_stride);
  }
}

void matmul_xwt_reference(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y) {
  const int64_t out = w.shape[0];
  std::vector<float> w_row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    tensor_to_f32(w, o * in, in, w_row.data());
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0;
      for (int64_t i = 0; i < in; ++i) sum += double(x[r * in + i]) * double(w_row[i]);
      y[r * out + o] = float(sum);
    }
  }
}

}  // namespace wax
