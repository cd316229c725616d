#include "core/weight_view.h"

#include <algorithm>
#include <cassert>
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

int64_t first_non_finite(const weight_view& t) {
  switch (t.type) {
    case dtype::f32: return first_all_ones_exponent<uint32_t, 0x7fffffff, 0x00800000>(t.data, int64_t(t.nbytes / 4));
    case dtype::f16: return first_all_ones_exponent<uint16_t, 0x7fff, 0x0400>(t.data, int64_t(t.nbytes / 2));
    case dtype::bf16: return first_all_ones_exponent<uint16_t, 0x7fff, 0x0080>(t.data, int64_t(t.nbytes / 2));
    default: return -1;
  }
}

void tensor_to_f32(const weight_view& t, int64_t first, int64_t count, float* out) {
  switch (t.type) {
    case dtype::f32:
      std::memcpy(out, reinterpret_cast<const float*>(t.data) + first, size_t(count) * sizeof(float));
      return;
    case dtype::f16: {
      const auto* bits = reinterpret_cast<const uint16_t*>(t.data) + first;
      for (int64_t i = 0; i < count; ++i) out[i] = f16_to_f32(bits[i]);
      return;
    }
    case dtype::bf16: {
      const auto* bits = reinterpret_cast<const uint16_t*>(t.data) + first;
      for (int64_t i = 0; i < count; ++i) out[i] = bf16_to_f32(bits[i]);
      return;
    }
    default:
      assert(false && "weights_prefix::get admits only float dtypes");
  }
}

void tensor_to_f16(const weight_view& t, uint16_t* out) {
  float chunk[4096];
  for (int64_t first = 0; first < t.numel(); first += 4096) {
    const int64_t count = std::min<int64_t>(4096, t.numel() - first);
    tensor_to_f32(t, first, count, chunk);
    for (int64_t i = 0; i < count; ++i) out[first + i] = f32_to_f16(chunk[i]);
  }
}

weight_view slice_rows(const weight_view& w, int64_t first, int64_t count) {
  const size_t row_bytes = size_t(w.shape[1]) * dtype_size(w.type);
  return {w.type, {count, w.shape[1]}, w.data + size_t(first) * row_bytes, size_t(count) * row_bytes};
}

}  // namespace wax
