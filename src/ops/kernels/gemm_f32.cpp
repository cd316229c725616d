#include "ops/kernels/gemm_f32.h"

#include <algorithm>
#include <vector>

#include "ops/kernels/simd.h"

namespace wax {
namespace {

using namespace simd;

// Lane-wise partial sums over the multiple-of-4 part of `in`, then a scalar tail, as the
// scalar twin computes them.
template <int R, int C>
void tile(const float* x, int64_t in, const float* w, float* y, int64_t y_stride) {
  // Fully unrolled, so the accumulators live in registers (wasm locals), not on the stack.
  f32x4 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = zero();
  const int64_t vector_end = in & ~int64_t(3);
  for (int64_t k = 0; k < vector_end; k += 4) {
    f32x4 xs[R], ws[C];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) xs[r] = load(x + r * in + k);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) ws[c] = load(w + c * in + k);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) acc[r][c] = add(acc[r][c], mul(xs[r], ws[c]));
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < C; ++c) {
      float total = sum(acc[r][c]);
      for (int64_t k = vector_end; k < in; ++k) total += x[r * in + k] * w[c * in + k];
      y[r * y_stride + c] = total;
    }
}

// The edge tiles of an odd-sized product use the same code with fewer rows or columns.
template <int R>
void row_block(const float* x, int64_t in, const float* w, int64_t out, float* y, int64_t y_stride) {
  int64_t o = 0;
  for (; o + 4 <= out; o += 4) tile<R, 4>(x, in, w + o * in, y + o, y_stride);
  switch (out - o) {
    case 3: tile<R, 3>(x, in, w + o * in, y + o, y_stride); break;
    case 2: tile<R, 2>(x, in, w + o * in, y + o, y_stride); break;
    case 1: tile<R, 1>(x, in, w + o * in, y + o, y_stride); break;
    default: break;
  }
}

// One row of x (decode) against weight rows one at a time: a single stream through w, which the
// hardware prefetcher follows better than the four interleaved rows of a tile (from DRAM, in
// wasm: ~19 GB/s against ~12), with eight accumulators to keep enough loads in flight.
// Below long_row floats, four adjacent rows are one stream anyway, and the tiles' fewer loads
// and horizontal sums win (attention's 64-float key rows).
constexpr int64_t long_row = 256;
float dot_row(const float* x, const float* w, int64_t in) {
  constexpr int accumulators = 8;
  f32x4 acc[accumulators];
#pragma GCC unroll 8
  for (int a = 0; a < accumulators; ++a) acc[a] = zero();
  int64_t k = 0;
  for (; k + 4 * accumulators <= in; k += 4 * accumulators) {
#pragma GCC unroll 8
    for (int a = 0; a < accumulators; ++a) acc[a] = add(acc[a], mul(load(x + k + 4 * a), load(w + k + 4 * a)));
  }
  for (; k + 4 <= in; k += 4) acc[0] = add(acc[0], mul(load(x + k), load(w + k)));
  for (int width = accumulators / 2; width > 0; width /= 2)
    for (int a = 0; a < width; ++a) acc[a] = add(acc[a], acc[a + width]);
  float total = sum(acc[0]);
  for (; k < in; ++k) total += x[k] * w[k];
  return total;
}

// Columns of w per pass: the panel (out_block × in floats) stays in L2 while every row of x
// streams past it.
constexpr int64_t out_block = 64;

constexpr int panel_width = 8;

// panel (in, 8) = rows [first, first + count) transposed, widened to f32, zero-padded to 8
// columns: the rows are widened into `rows` (8, in), then transposed four by four in registers.
void pack_panel(const std::function<void(int64_t, float*)>& weight_row, int64_t in, int64_t first, int64_t count,
                std::vector<float>& rows, float* panel) {
  for (int64_t j = 0; j < panel_width; ++j) {
    if (j < count) weight_row(first + j, rows.data() + j * in);
    else std::fill_n(rows.data() + j * in, in, 0.0f);
  }
  int64_t k = 0;
  for (; k + 4 <= in; k += 4)
    for (int64_t half = 0; half < panel_width; half += 4) {
      const float* r = rows.data() + half * in + k;
      f32x4 k0 = load(r), k1 = load(r + in), k2 = load(r + 2 * in), k3 = load(r + 3 * in);
      transpose(k0, k1, k2, k3);  // now k_i holds the four rows' values at k + i
      store(panel + k * panel_width + half, k0);
      store(panel + (k + 1) * panel_width + half, k1);
      store(panel + (k + 2) * panel_width + half, k2);
      store(panel + (k + 3) * panel_width + half, k3);
    }
  for (; k < in; ++k)
    for (int64_t j = 0; j < panel_width; ++j) panel[k * panel_width + j] = rows[size_t(j * in + k)];
}

template <int R>
void packed_tile(const float* x, int64_t in, const float* panel, float* y, int64_t y_stride, int64_t columns) {
  f32x4 acc[R][2];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = zero();
  for (int64_t k = 0; k < in; ++k) {
    const f32x4 w_low = load(panel + k * panel_width), w_high = load(panel + k * panel_width + 4);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      const f32x4 xs = load_splat(x + r * in + k);
      acc[r][0] = add(acc[r][0], mul(xs, w_low));
      acc[r][1] = add(acc[r][1], mul(xs, w_high));
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    if (columns == panel_width) {
      store(y + r * y_stride, acc[r][0]);
      store(y + r * y_stride + 4, acc[r][1]);
    } else {
      float lanes[panel_width];
      store(lanes, acc[r][0]);
      store(lanes + 4, acc[r][1]);
      std::copy_n(lanes, columns, y + r * y_stride);
    }
  }
}

// Every row of x against one panel, four rows at a time.
void multiply_panel(const float* x, int64_t rows, int64_t in, const float* panel, float* y, int64_t y_stride, int64_t columns) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) packed_tile<4>(x + r * in, in, panel, y + r * y_stride, y_stride, columns);
  switch (rows - r) {
    case 3: packed_tile<3>(x + r * in, in, panel, y + r * y_stride, y_stride, columns); break;
    case 2: packed_tile<2>(x + r * in, in, panel, y + r * y_stride, y_stride, columns); break;
    case 1: packed_tile<1>(x + r * in, in, panel, y + r * y_stride, y_stride, columns); break;
    default: break;
  }
}

}  // namespace

void gemm_xwt_packed_4x8(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride) {
  gemm_xwt_packed_4x8(x, rows, in, w.shape[0], [&](int64_t r, float* out) { tensor_to_f32(w, r * in, in, out); }, y, y_stride);
}

void gemm_xwt_packed_4x8(const float* x, int64_t rows, int64_t in, int64_t out,
                         const std::function<void(int64_t, float*)>& weight_row, float* y, int64_t y_stride) {
  std::vector<float> panel(static_cast<size_t>(in * panel_width)), rows_buffer(panel.size());
  for (int64_t o = 0; o < out; o += panel_width) {
    const int64_t columns = std::min<int64_t>(panel_width, out - o);
    pack_panel(weight_row, in, o, columns, rows_buffer, panel.data());
    multiply_panel(x, rows, in, panel.data(), y + o, y_stride, columns);
  }
}

int64_t packed_panels_floats(int64_t in, int64_t out) { return (out + panel_width - 1) / panel_width * panel_width * in; }

void pack_rows_into_panels(const float* w, int64_t in, int64_t out, float* panels) {
  std::vector<float> rows_buffer(static_cast<size_t>(in * panel_width));
  const auto weight_row = [&](int64_t r, float* row) { std::copy_n(w + r * in, in, row); };
  for (int64_t o = 0; o < out; o += panel_width)
    pack_panel(weight_row, in, o, std::min<int64_t>(panel_width, out - o), rows_buffer, panels + o * in);
}

void pack_columns_into_panels(const float* w, int64_t in, int64_t out, float* panels) {
  for (int64_t o = 0; o < out; o += panel_width) {
    const int64_t columns = std::min<int64_t>(panel_width, out - o);
    float* panel = panels + o * in;
    for (int64_t k = 0; k < in; ++k) {
      std::copy_n(w + k * out + o, columns, panel + k * panel_width);
      std::fill(panel + k * panel_width + columns, panel + (k + 1) * panel_width, 0.0f);
    }
  }
}

void gemm_xwt_panels(const float* x, int64_t rows, int64_t in, const float* panels, int64_t panel_in, int64_t out, float* y,
                     int64_t y_stride) {
  for (int64_t o = 0; o < out; o += panel_width)
    multiply_panel(x, rows, in, panels + o * panel_in, y + o, y_stride, std::min<int64_t>(panel_width, out - o));
}

void gemm_xwt_packed_4x8_scalar(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride) {
  const int64_t out = w.shape[0];
  std::vector<float> w_row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    tensor_to_f32(w, o * in, in, w_row.data());
    for (int64_t r = 0; r < rows; ++r) {
      float total = 0;
      for (int64_t k = 0; k < in; ++k) total += x[r * in + k] * w_row[size_t(k)];
      y[r * y_stride + o] = total;
    }
  }
}

void gemm_xwt_f32_dot(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, int64_t y_stride) {
  if (rows == 1 && in >= long_row) {
    for (int64_t o = 0; o < out; ++o) y[o] = dot_row(x, w + o * in, in);
    return;
  }
  for (int64_t o = 0; o < out; o += out_block) {
    const int64_t count = std::min(out_block, out - o);
    const float* panel = w + o * in;
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) row_block<4>(x + r * in, in, panel, count, y + r * y_stride + o, y_stride);
    switch (rows - r) {
      case 3: row_block<3>(x + r * in, in, panel, count, y + r * y_stride + o, y_stride); break;
      case 2: row_block<2>(x + r * in, in, panel, count, y + r * y_stride + o, y_stride); break;
      case 1: row_block<1>(x + r * in, in, panel, count, y + r * y_stride + o, y_stride); break;
      default: break;
    }
  }
}

void gemm_xwt_f32_dot_scalar(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, int64_t y_stride) {
  const int64_t vector_end = in & ~int64_t(3);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      float lanes[4] = {0, 0, 0, 0};
      for (int64_t k = 0; k < vector_end; k += 4)
        for (int l = 0; l < 4; ++l) lanes[l] += x[r * in + k + l] * w[o * in + k + l];
      float total = lanes[0] + lanes[1] + lanes[2] + lanes[3];
      for (int64_t k = vector_end; k < in; ++k) total += x[r * in + k] * w[o * in + k];
      y[r * y_stride + o] = total;
    }
}

}  // namespace wax
