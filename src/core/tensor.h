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

// "(576, 1536)", for error messages.
std::string shape_to_string(const shape_t& shape);

}  // namespace wax
