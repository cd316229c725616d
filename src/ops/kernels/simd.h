// Four-lane vectors for the hand-written kernels: WebAssembly SIMD128 in the wasm build, GCC/clang
// vector extensions natively (so the native tests run the same kernel code). Only what the
// kernels use is here.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

namespace wax::simd {

#if defined(__wasm_simd128__)

using f32x4 = v128_t;
inline f32x4 load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, f32x4 v) { wasm_v128_store(p, v); }
inline f32x4 splat(float x) { return wasm_f32x4_splat(x); }
inline f32x4 load_splat(const float* p) { return wasm_v128_load32_splat(p); }
inline f32x4 zero() { return wasm_f32x4_const_splat(0.0f); }
inline f32x4 add(f32x4 a, f32x4 b) { return wasm_f32x4_add(a, b); }
inline f32x4 mul(f32x4 a, f32x4 b) { return wasm_f32x4_mul(a, b); }
inline f32x4 sub(f32x4 a, f32x4 b) { return wasm_f32x4_sub(a, b); }
inline f32x4 div(f32x4 a, f32x4 b) { return wasm_f32x4_div(a, b); }
// The pseudo-min/max (one x86 minps/maxps): which lane wins on NaN is unspecified.
inline f32x4 min(f32x4 a, f32x4 b) { return wasm_f32x4_pmin(a, b); }
inline f32x4 max(f32x4 a, f32x4 b) { return wasm_f32x4_pmax(a, b); }
inline f32x4 round_to_even(f32x4 v) { return wasm_f32x4_nearest(v); }
inline f32x4 abs(f32x4 v) { return wasm_f32x4_abs(v); }
// magnitude's lanes with sign's signs.
inline f32x4 copysign(f32x4 magnitude, f32x4 sign) {
  return wasm_v128_bitselect(sign, magnitude, wasm_i32x4_const_splat(int32_t(0x80000000u)));
}
// 2^n for lanes holding whole numbers in [-126, 127]: n + 127 put in the exponent bits.
inline f32x4 pow2(f32x4 n) { return wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_const_splat(127)), 23); }
// value where x >= limit, else 0.
inline f32x4 zero_where_below(f32x4 value, f32x4 x, float limit) { return wasm_v128_and(value, wasm_f32x4_ge(x, wasm_f32x4_splat(limit))); }
// Integer lanes for the quantized kernels.
using i8x16 = v128_t;
using i16x8 = v128_t;
using i32x4 = v128_t;
inline i8x16 load_i8(const int8_t* p) { return wasm_v128_load(p); }
inline i8x16 load_u8(const uint8_t* p) { return wasm_v128_load(p); }
inline i16x8 load_i16(const int16_t* p) { return wasm_v128_load(p); }
inline void store_i16(int16_t* p, i16x8 v) { wasm_v128_store(p, v); }
inline i16x8 widen_low(i8x16 v) { return wasm_i16x8_extend_low_i8x16(v); }
inline i16x8 widen_high(i8x16 v) { return wasm_i16x8_extend_high_i8x16(v); }
// lane i: a[2i]·b[2i] + a[2i+1]·b[2i+1]
inline i32x4 dot(i16x8 a, i16x8 b) { return wasm_i32x4_dot_i16x8(a, b); }
inline i32x4 add_i32(i32x4 a, i32x4 b) { return wasm_i32x4_add(a, b); }
inline i32x4 zero_i32() { return wasm_i32x4_const_splat(0); }
inline f32x4 to_f32(i32x4 v) { return wasm_f32x4_convert_i32x4(v); }
inline i8x16 and_bytes(i8x16 v, uint8_t mask) { return wasm_v128_and(v, wasm_i8x16_splat(int8_t(mask))); }
inline i8x16 xor_bytes(i8x16 v, uint8_t mask) { return wasm_v128_xor(v, wasm_i8x16_splat(int8_t(mask))); }
// Bytes 4q…4q+3 of v as unsigned values plus 2^23, in f32 lanes: each byte is shuffled into the
// low mantissa bits of 2^23 (one shuffle and one or, no widening steps).
template <int q>
inline f32x4 byte_quarter_plus_2p23(i8x16 v) {
  const v128_t bytes = wasm_i8x16_shuffle(v, wasm_i8x16_const_splat(0), 4 * q, 16, 16, 16, 4 * q + 1, 16, 16, 16, 4 * q + 2, 16, 16,
                                          16, 4 * q + 3, 16, 16, 16);
  return wasm_v128_or(bytes, wasm_i32x4_const_splat(0x4b000000));
}
// The nibble at bits shift…shift+3 of each 16-bit lane moved to bits 12-15, the rest zero: its
// 4-bit two's complement value times 4096 as an i16 (one shift and one mask, and no sign fix-up).
inline i16x8 nibble_times_4096(i16x8 v, int shift) {
  const i16x8 top = shift == 12 ? v : wasm_i16x8_shl(v, 12 - shift);
  return shift == 0 ? top : wasm_v128_and(top, wasm_i16x8_splat(int16_t(0xf000)));
}
// [Σ a, Σ b, Σ c, Σ d]: two rounds of pairing lanes (shufps patterns) and adding.
inline i32x4 lane_totals(i32x4 a, i32x4 b, i32x4 c, i32x4 d) {
  const i32x4 ab = wasm_i32x4_add(wasm_i32x4_shuffle(a, b, 0, 2, 4, 6), wasm_i32x4_shuffle(a, b, 1, 3, 5, 7));
  const i32x4 cd = wasm_i32x4_add(wasm_i32x4_shuffle(c, d, 0, 2, 4, 6), wasm_i32x4_shuffle(c, d, 1, 3, 5, 7));
  return wasm_i32x4_add(wasm_i32x4_shuffle(ab, cd, 0, 2, 4, 6), wasm_i32x4_shuffle(ab, cd, 1, 3, 5, 7));
}
// Four consecutive f16 values as f32 lanes, for finite values only: sign-extended to 32 bits and
// shifted by 13, the f16 bits sit in an f32's sign, exponent and mantissa once the sign's three
// copies above the exponent are cleared; rescaling by 2^112 fixes the exponent bias (and
// subnormals).
inline f32x4 load_f16x4(const uint16_t* p) {
  const v128_t bits = wasm_i32x4_shl(wasm_i32x4_extend_low_i16x8(wasm_v128_load64_zero(p)), 13);
  return wasm_f32x4_mul(wasm_v128_and(bits, wasm_i32x4_splat(int32_t(0x8fffe000u))), wasm_f32x4_splat(0x1p112f));
}
// The 4 × 4 matrix whose rows are a, b, c, d, transposed in place (unpack, then move halves).
inline void transpose(f32x4& a, f32x4& b, f32x4& c, f32x4& d) {
  const f32x4 ab_low = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), cd_low = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5);
  const f32x4 ab_high = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7), cd_high = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
  a = wasm_i64x2_shuffle(ab_low, cd_low, 0, 2);
  b = wasm_i64x2_shuffle(ab_low, cd_low, 1, 3);
  c = wasm_i64x2_shuffle(ab_high, cd_high, 0, 2);
  d = wasm_i64x2_shuffle(ab_high, cd_high, 1, 3);
}
inline float sum(f32x4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

#else

typedef float f32x4 __attribute__((vector_size(16)));
inline f32x4 load(const float* p) {
  f32x4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(float* p, f32x4 v) { std::memcpy(p, &v, sizeof v); }
inline f32x4 splat(float x) { return f32x4{x, x, x, x}; }
inline f32x4 load_splat(const float* p) { return splat(*p); }
inline f32x4 zero() { return f32x4{0, 0, 0, 0}; }
inline f32x4 add(f32x4 a, f32x4 b) { return a + b; }
inline f32x4 mul(f32x4 a, f32x4 b) { return a * b; }
inline f32x4 sub(f32x4 a, f32x4 b) { return a - b; }
inline f32x4 div(f32x4 a, f32x4 b) { return a / b; }
inline f32x4 min(f32x4 a, f32x4 b) { return b < a ? b : a; }
inline f32x4 max(f32x4 a, f32x4 b) { return a < b ? b : a; }
inline f32x4 round_to_even(f32x4 v) {
  return f32x4{std::nearbyint(v[0]), std::nearbyint(v[1]), std::nearbyint(v[2]), std::nearbyint(v[3])};
}
inline f32x4 abs(f32x4 v) { return f32x4{std::fabs(v[0]), std::fabs(v[1]), std::fabs(v[2]), std::fabs(v[3])}; }
inline f32x4 copysign(f32x4 magnitude, f32x4 sign) {
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = std::copysign(magnitude[i], sign[i]);
  return r;
}
inline f32x4 pow2(f32x4 n) {
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = std::ldexp(1.0f, int(n[i]));
  return r;
}
inline f32x4 zero_where_below(f32x4 value, f32x4 x, float limit) {
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = x[i] >= limit ? value[i] : 0.0f;
  return r;
}
inline float sum(f32x4 v) { return v[0] + v[1] + v[2] + v[3]; }
inline void transpose(f32x4& a, f32x4& b, f32x4& c, f32x4& d) {
  const f32x4 rows[4] = {a, b, c, d};
  a = f32x4{rows[0][0], rows[1][0], rows[2][0], rows[3][0]};
  b = f32x4{rows[0][1], rows[1][1], rows[2][1], rows[3][1]};
  c = f32x4{rows[0][2], rows[1][2], rows[2][2], rows[3][2]};
  d = f32x4{rows[0][3], rows[1][3], rows[2][3], rows[3][3]};
}

typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef int16_t i16x8 __attribute__((vector_size(16)));
typedef int32_t i32x4 __attribute__((vector_size(16)));
inline i8x16 load_i8(const int8_t* p) {
  i8x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline i8x16 load_u8(const uint8_t* p) {
  i8x16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline i16x8 load_i16(const int16_t* p) {
  i16x8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store_i16(int16_t* p, i16x8 v) { std::memcpy(p, &v, sizeof v); }
inline i16x8 widen_low(i8x16 v) { return i16x8{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}; }
inline i16x8 widen_high(i8x16 v) { return i16x8{v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]}; }
inline i32x4 dot(i16x8 a, i16x8 b) {
  i32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = int32_t(a[2 * i]) * b[2 * i] + int32_t(a[2 * i + 1]) * b[2 * i + 1];
  return r;
}
inline i32x4 add_i32(i32x4 a, i32x4 b) { return a + b; }
inline i32x4 zero_i32() { return i32x4{0, 0, 0, 0}; }
inline f32x4 to_f32(i32x4 v) { return f32x4{float(v[0]), float(v[1]), float(v[2]), float(v[3])}; }
inline i8x16 and_bytes(i8x16 v, uint8_t mask) { return v & i8x16(int8_t(mask) + i8x16{}); }
inline i8x16 xor_bytes(i8x16 v, uint8_t mask) { return v ^ i8x16(int8_t(mask) + i8x16{}); }
template <int q>
inline f32x4 byte_quarter_plus_2p23(i8x16 v) {
  f32x4 r;
  for (int i = 0; i < 4; ++i) r[i] = float(uint8_t(v[4 * q + i])) + 0x1p23f;
  return r;
}
inline i16x8 nibble_times_4096(i16x8 v, int shift) {
  i16x8 r;
  for (int i = 0; i < 8; ++i) r[i] = int16_t(uint16_t((uint16_t(v[i]) << (12 - shift)) & 0xf000));
  return r;
}
inline i32x4 lane_totals(i32x4 a, i32x4 b, i32x4 c, i32x4 d) {
  const auto total = [](i32x4 v) { return v[0] + v[1] + v[2] + v[3]; };
  return i32x4{total(a), total(b), total(c), total(d)};
}
inline f32x4 load_f16x4(const uint16_t* p) {
  f32x4 r;
  for (int i = 0; i < 4; ++i) {
    const uint32_t bits = (uint32_t(p[i] & 0x8000) << 16) | (uint32_t(p[i] & 0x7fff) << 13);
    float value;
    std::memcpy(&value, &bits, sizeof value);
    r[i] = value * 0x1p112f;
  }
  return r;
}

#endif

}  // namespace wax::simd
