#include "core/byte_buffer.h"

#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace wax {

byte_buffer byte_buffer::allocate(size_t size) {
  // aligned_alloc wants a multiple of the alignment (in 64 bits: near SIZE_MAX it would wrap).
  const uint64_t rounded = (uint64_t(size ? size : 1) + byte_buffer_alignment - 1) / byte_buffer_alignment * byte_buffer_alignment;
  auto* data = rounded > SIZE_MAX ? nullptr : static_cast<std::byte*>(std::aligned_alloc(byte_buffer_alignment, size_t(rounded)));
  if (!data)
    throw error(error_out_of_memory, "out of memory: could not allocate " + std::to_string(size) + " bytes");
  return byte_buffer(data, size);
}

}  // namespace wax
