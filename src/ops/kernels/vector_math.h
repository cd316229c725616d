// Transcendentals four lanes at a time, for the element-wise work that follows the products
// (softmax over 1500 keys, GELU over a feed-forward's inner rows): libm's scalar expf and erff
// took a third of a Whisper encoder's time in wasm. Accurate to a few float ulps.
#pragma once

#include "ops/kernels/simd.h"

namespace wax::simd {

// e^x: x = n·ln2 + r with |r| <= ln2/2, e^r by Cephes' degree-5 polynomial (expf), times 2^n.
// Below -87.33 (where e^x leaves the normal floats) and for -inf the result is 0; above 88 it
// saturates at e^88.
inline f32x4 exp(f32x4 x) {
  const f32x4 clamped = max(min(x, splat(88.0f)), splat(-87.33654f));
  const f32x4 n = round_to_even(mul(clamped, splat(1.44269504088896341f)));
  // r = x - n·ln2, with ln2 split in two so that n·ln2_high is exact.
  const f32x4 r = sub(sub(clamped, mul(n, splat(0.693359375f))), mul(n, splat(-2.12194440e-4f)));
  f32x4 p = splat(1.9875691500e-4f);
  p = add(mul(p, r), splat(1.3981999507e-3f));
  p = add(mul(p, r), splat(8.3334519073e-3f));
  p = add(mul(p, r), splat(4.1665795894e-2f));
  p = add(mul(p, r), splat(1.6666665459e-1f));
  p = add(mul(p, r), splat(5.0000001201e-1f));
  const f32x4 e_r = add(add(mul(mul(p, r), r), r), splat(1.0f));
  return zero_where_below(mul(e_r, pow2(n)), x, -87.33654f);
}

// x / (1 + e^-z): x times the logistic function of z.
inline f32x4 times_sigmoid(f32x4 x, f32x4 z) {
  return div(x, add(splat(1.0f), exp(sub(zero(), z))));
}

// erf(x) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7):
// erf(|x|) = 1 - t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·e^(-x²), t = 1 / (1 + p·|x|).
inline f32x4 erf(f32x4 x) {
  const f32x4 a = abs(x);
  const f32x4 t = div(splat(1.0f), add(splat(1.0f), mul(splat(0.3275911f), a)));
  f32x4 poly = splat(1.061405429f);
  poly = add(mul(poly, t), splat(-1.453152027f));
  poly = add(mul(poly, t), splat(1.421413741f));
  poly = add(mul(poly, t), splat(-0.284496736f));
  poly = add(mul(poly, t), splat(0.254829592f));
  const f32x4 tail = mul(mul(poly, t), exp(sub(zero(), mul(a, a))));
  return copysign(sub(splat(1.0f), tail), x);
}

// f(x) for one float through a lane-wise formula, for the tails of vector loops: every value
// gets the same rounding as its neighbours in full vectors.
template <class Formula>
float on_one_lane(float x, Formula formula) {
  float lanes[4] = {x, 0, 0, 0};
  store(lanes, formula(load(lanes)));
  return lanes[0];
}

}  // namespace wax::simd
