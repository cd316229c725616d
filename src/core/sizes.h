// Buffer sizes counted in 64 bits. In wasm32 size_t has 32 bits: a product such as
// layers · batch · kv_heads · positions · head_dim wraps there, and the buffer allocated is a
// fraction of what is then written. Every buffer whose size follows from inputs is counted here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace wax {

// What wasm32 addresses. Native builds keep the same limit, so their tests see what browsers see.
inline constexpr uint64_t max_buffer_bytes = uint64_t(4) << 30;

// The product of `factors`, or UINT64_MAX when it does not fit in 64 bits.
uint64_t saturating_product(std::initializer_list<uint64_t> factors);

// The element count of a buffer of `element_bytes`-byte elements, the product of `dims` (each
// >= 0); throws WAX_TOO_LARGE naming `what` when it needs more than max_buffer_bytes.
size_t checked_elements(std::span<const int64_t> dims, size_t element_bytes, std::string_view what);
inline size_t checked_elements(std::initializer_list<int64_t> dims, size_t element_bytes, std::string_view what) {
  return checked_elements(std::span<const int64_t>(dims.begin(), dims.size()), element_bytes, what);
}

// input_ids (batch, seq) need a row and a position: the models read each row's last one.
void check_ids_shape(int64_t batch, int64_t seq);

// "4.00 GiB" or "12.0 MiB", for messages.
std::string format_bytes(uint64_t bytes);

}  // namespace wax
