// f32 GEMM in the layout every linear layer has: y (rows, out) = x (rows, in) · wᵀ with w (out, in)
// row-major. Two kernels where Eigen's wasm path loses:
//  - "gemm-xwt-f32-4x8-packed-simd128" for prompts and batches: a panel of 8 rows of w is packed
//    k-major (8 consecutive floats per k, widened from F16/BF16 on the way), then a 4 × 8 register
//    tile takes per k two vector loads of w, four broadcast loads of x and eight multiply-adds,
//    with no horizontal sums (the BLIS/XNNPACK design).
//  - "gemv-xwt-f32-dot-simd128" for one or a few rows (decode): dot products over contiguous rows
//    of x and w, no packing; it is bound by reading w. One row of x takes the weight rows one at a
//    time (one stream through memory); two or three rows go four by four.
#pragma once

#include <cstdint>
#include <functional>

#include "core/weight_view.h"

namespace wax {

// Packed GEMM over a weight view (F32, F16 or BF16); y rows are `y_stride` floats apart.
void gemm_xwt_packed_4x8(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride);

// The same over `out` weight rows that `weight_row(r, row)` widens to f32 (quantized ones, say).
void gemm_xwt_packed_4x8(const float* x, int64_t rows, int64_t in, int64_t out,
                         const std::function<void(int64_t, float*)>& weight_row, float* y, int64_t y_stride);

// The packed kernel over weights packed once and used many times (attention's keys and values
// across query blocks). Panels hold 8 weight rows each, k-major: (in, 8) floats, zero-padded.
int64_t packed_panels_floats(int64_t in, int64_t out);
// w (out, in) row-major: each row one column of the product (keys for q · kᵀ).
void pack_rows_into_panels(const float* w, int64_t in, int64_t out, float* panels);
// w (in, out) row-major: each column one column of the product (values for p · v).
void pack_columns_into_panels(const float* w, int64_t in, int64_t out, float* panels);
// y (rows, out) = x (rows, in) · the first `in` rows of every panel (packed for panel_in ≥ in rows).
void gemm_xwt_panels(const float* x, int64_t rows, int64_t in, const float* panels, int64_t panel_in, int64_t out, float* y,
                     int64_t y_stride);

// Dot-product GEMM over f32 weights w (out, in).
void gemm_xwt_f32_dot(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, int64_t y_stride);

// Scalar twins for the tests: the same sums in the same order as the kernels (but for the one-row
// dot kernel, whose eight accumulators sum in another order: equal within float rounding).
void gemm_xwt_packed_4x8_scalar(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride);
void gemm_xwt_f32_dot_scalar(const float* x, int64_t rows, int64_t in, const float* w, int64_t out, float* y, int64_t y_stride);

}  // namespace wax
