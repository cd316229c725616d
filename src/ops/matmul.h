// y (rows, out) = x (rows, in) · wᵀ, the product every linear layer makes, with w (out, in) as a
// checkpoint stores it: F32 read in place; F16/BF16 widened a panel of rows at a time, so
// half-precision weights never exist in f32 as a whole.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace wax {

// y rows are y_stride floats apart (w.shape[0] when it is a whole matrix).
void matmul_xwt(const float* x, int64_t rows, int64_t in, const tensor_view& w, float* y, int64_t y_stride);

// Rows [first, first + count) of a matrix view, as a view.
tensor_view slice_rows(const tensor_view& w, int64_t first, int64_t count);

// Scalar reference for the tests: the same product with plain loops in double.
void matmul_xwt_reference(const float* x, int64_t rows, int64_t in, const tensor_view& w, float* y);

// Widens `count` elements of an F32/F16/BF16 tensor, starting at element `first`, to f32.
void tensor_to_f32(const tensor_view& t, int64_t first, int64_t count, float* out);

// Every element of an F32/F16/BF16 tensor as f16 bits (t.numel() values), through f32.
void tensor_to_f16(const tensor_view& t, uint16_t* out);

}  // namespace wax
