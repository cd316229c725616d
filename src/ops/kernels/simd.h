// Four-lane vectors for the hand-written kernels: WebAssembly SIMD128 in the wasm build, GCC/clang
// vector extensions natively (so the native tests run the same kernel code). Only what the
// kernels use is here.
#pragma once

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
inline float sum(f32x4 v) { return v[0] + v[1] + v[2] + v[3]; }

#endif

}  // namespace wax::simd
