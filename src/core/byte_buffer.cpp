#include "core/byte_buffer.h"

#include <string>

#include "core/error.h"

namespace wax {

byte_buffer byte_buffer::allocate(size_t size) {
  auto* data = static_cast<std::byte*>(std::malloc(size ? size : 1));
  if (!data)
    throw error(error_out_of_memory, "out of memory: could not allocate " + std::to_string(size) + " bytes");
  return byte_buffer(data, size);
}

}  // namespace wax
