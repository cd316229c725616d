// y (rows, out) = x (rows, in) · wᵀ, the product every linear layer makes, with w (out, in) as a
// checkpoint stores it: F32 read in place; F16/BF16 widened a panel of rows at a time, so
// half-precision weights never exist in f32 as a whole.
#pragma once

#include <cstdint>

#include "core/weight_view.h"

namespace wax {

// y rows are y_stride floats apart (w.shape[0] when it is a whole matrix).
void matmul_xwt(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y, int64_t y_stride);

// Scalar reference for the tests: the same product with plain loops in double.
void matmul_xwt_reference(const float* x, int64_t rows, int64_t in, const weight_view& w, float* y);

}  // namespace wax
