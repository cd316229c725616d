#include "core/tensor.h"

#include <algorithm>
#include <cstring>

namespace wax {
namespace {

// An element is NaN or infinite when its exponent bits are all ones, that is when adding one unit
// of the exponent to its magnitude carries into the sign bit. Blocks are scanned with that add
// ORed together (the compiler vectorizes it); only a block that has one is searched for its index.
template <typename Bits, Bits magnitude_mask, Bits exponent_unit>
int64_t first_all_ones_exponent(const std::byte* data, int64_t count) {
  constexpr Bits sign = Bits(~magnitude_mask);
  constexpr int64_t block = 4096;
  const auto carries = [&](int64_t i) {
    Bits bits;
    std::memcpy(&bits, data + i * int64_t(sizeof(Bits)), sizeof(Bits));  // safetensors data may be unaligned
    return Bits((bits & magnitude_mask) + exponent_unit);
  };
  for (int64_t first = 0; first < count; first += block) {
    const int64_t end = std::min(first + block, count);
    Bits any = 0;
    for (int64_t i = first; i < end; ++i) any |= carries(i);
    if (!(any & sign)) continue;
    for (int64_t i = first; i < end; ++i)
      if (carries(i) & sign) return i;
  }
  return -1;
}

}  // namespace

int64_t first_non_finite(const tensor_view& t) {
  switch (t.type) {
    case dtype::f32: return first_all_ones_exponent<uint32_t, 0x7fffffff, 0x00800000>(t.data, int64_t(t.nbytes / 4));
    case dtype::f16: return first_all_ones_exponent<uint16_t, 0x7fff, 0x0400>(t.data, int64_t(t.nbytes / 2));
    case dtype::bf16: return first_all_ones_exponent<uint16_t, 0x7fff, 0x0080>(t.data, int64_t(t.nbytes / 2));
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
