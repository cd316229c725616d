// A read-only view of a tensor as a checkpoint stores it (safetensors bytes in the heap, of any
// dtype), and its conversions to f32/f16. Activations are core/tensor.h's f32 tensors instead:
// a weight is read in place in its own dtype, an activation is always f32 and written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/dtype.h"
#include "core/tensor.h"

namespace wax {

struct weight_view {
  dtype type = dtype::f32;
  shape_t shape;
  const std::byte* data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const {
    uint64_t count = 1;  // unsigned: a zero dimension after huge ones must not overflow
    for (int64_t dim : shape) count *= uint64_t(dim);
    return int64_t(count);
  }
};

// The index of the first NaN or infinity of an F32/F16/BF16 tensor, or -1 when every element is
// finite (and for other dtypes). Reads the bits, so it runs at memory speed.
int64_t first_non_finite(const weight_view& t);

// Widens `count` elements of an F32/F16/BF16 tensor, starting at element `first`, to f32.
void tensor_to_f32(const weight_view& t, int64_t first, int64_t count, float* out);

// Every element of an F32/F16/BF16 tensor as f16 bits (t.numel() values), through f32.
void tensor_to_f16(const weight_view& t, uint16_t* out);

// Rows [first, first + count) of a matrix view, as a view.
weight_view slice_rows(const weight_view& w, int64_t first, int64_t count);

}  // namespace wax
