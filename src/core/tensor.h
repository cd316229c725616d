// A read-only view of a tensor stored elsewhere (safetensors bytes in the heap). Storage is
// row-major everywhere in wax: the last dimension is contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dtype.h"

namespace wax {

using shape_t = std::vector<int64_t>;

struct tensor_view {
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
int64_t first_non_finite(const tensor_view& t);

// "(576, 1536)", for error messages.
std::string shape_to_string(const shape_t& shape);

}  // namespace wax
