// Kernels over block-quantized weights (core/quantized_matrix.h: Q8_0 and Q4_0 as llama.cpp's,
// four rows interleaved).
//
// "gemm-xwt-q8-4rows-i16dot-simd128": x is quantized to 8 bits per 32-block once per row and
// widened to i16; four weight rows per pass are widened from i8 (or unpacked from nibbles) and
// multiplied with i32x4.dot_i16x8, each block's integer sums scaled into f32 lanes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/quantized_matrix.h"

namespace wax {

// Row `row` back to f32 (cols values).
void dequantize_row(const quantized_matrix& w, int64_t row, float* out);

// y (rows, out) = x (rows, in) · wᵀ, w quantized (out, in); y rows are y_stride floats apart.
// Only the output columns [first_out, end_out) are computed (threads split the rest); first_out
// is a multiple of 4 (a scale group).
void gemm_xwt_quantized(const float* x, int64_t rows, const quantized_matrix& w, float* y, int64_t y_stride,
                        int64_t first_out, int64_t end_out);

// x (rows, in) quantized once for many calls over slices of w's output columns: 8-bit values
// widened to i16 per 32-block, in the element order the kernel for `layout` weights reads.
struct quantized_activations {
  quant_type layout = quant_type::q8_0;
  int64_t rows = 0, blocks = 0;
  std::vector<int16_t> values;  // (rows, blocks · 32)
  std::vector<float> scales;    // (rows, blocks)
};
quantized_activations quantize_activations(const float* x, int64_t rows, int64_t in, quant_type layout);
void gemm_xwt_quantized(const quantized_activations& x, const quantized_matrix& w, float* y, int64_t y_stride,
                        int64_t first_out, int64_t end_out);

// Its scalar twin for the tests: the same integer block sums and the same f32 order.
void gemm_xwt_quantized_scalar(const float* x, int64_t rows, const quantized_matrix& w, float* y, int64_t y_stride);

}  // namespace wax
