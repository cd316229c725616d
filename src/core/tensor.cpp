#include "core/tensor.h"

#include <algorithm>
#include <cstring>

namespace wax {
namespace {

// An element is NaN or infinite when its exponent bits are all ones. Blocks are scanned with an
// OR the compiler vectorizes; only a block that has one is searched again for its index.
template <typename Bits>
int64_t first_all_ones_exponent(const std::byte* data, int64_t count, Bits exponent) {
  constexpr int64_t block = 4096;
  Bits values[block];
  for (int64_t first = 0; first < count; first += block) {
    const int64_t n = std::min(block, count - first);
    std::memcpy(values, data + first * int64_t(sizeof(Bits)), size_t(n) * sizeof(Bits));  // safetensors data may be unaligned
    bool any = false;
    for (int64_t i = 0; i < n; ++i) any |= (values[i] & exponent) == exponent;
    if (!any) continue;
    for (int64_t i = 0; i < n; ++i)
      if ((values[i] & exponent) == exponent) return first + i;
  }
  return -1;
}

}  // namespace

int64_t first_non_finite(const tensor_view& t) {
  switch (t.type) {
    case dtype::f32: return first_all_ones_exponent<uint32_t>(t.data, int64_t(t.nbytes / 4), 0x7f800000u);
    case dtype::f16: return first_all_ones_exponent<uint16_t>(t.data, int64_t(t.nbytes / 2), 0x7c00u);
    case dtype::bf16: return first_all_ones_exponent<uint16_t>(t.data, int64_t(t.nbytes / 2), 0x7f80u);
    default: return -1;
  }
}

std::string shape_to_string(const shape_t& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

}  // namespace wax
