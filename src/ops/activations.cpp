#include "ops/activations.h"

#include "core/thread_pool.h"
#include "ops/kernels/vector_math.h"

namespace wax {
namespace {

using namespace simd;

f32x4 apply(activation kind, f32x4 x) {
  switch (kind) {
    case activation::silu:
      return times_sigmoid(x, x);
    case activation::gelu:  // 0.5·x·(1 + erf(x/√2))
      return mul(mul(splat(0.5f), x), add(splat(1.0f), erf(mul(x, splat(0.70710678118654752f)))));
    case activation::gelu_tanh:  // 0.5·x·(1 + tanh(u)) = x·sigmoid(2u), u = √(2/π)·(x + 0.044715·x³)
      return times_sigmoid(x, mul(splat(2 * 0.79788456080286536f), add(x, mul(splat(0.044715f), mul(x, mul(x, x))))));
    case activation::relu:
      return max(x, zero());
  }
  return x;
}

float apply_one(activation kind, float x) {
  return on_one_lane(x, [kind](f32x4 lanes) { return apply(kind, lanes); });
}

}  // namespace

std::optional<activation> activation_from_name(std::string_view hidden_act) {
  if (hidden_act == "silu" || hidden_act == "swish") return activation::silu;
  if (hidden_act == "gelu") return activation::gelu;
  if (hidden_act == "gelu_pytorch_tanh" || hidden_act == "gelu_new" || hidden_act == "gelu_fast")
    return activation::gelu_tanh;
  if (hidden_act == "relu") return activation::relu;
  return std::nullopt;
}

// Element-wise work is split across the threads too: for a prompt, a transcendental per value
// over (tokens × intermediate) values is a serial stretch that would cap the threads' speed-up.
constexpr int64_t elementwise_grain = 8192;

void activation_apply(activation kind, float* x, int64_t count) {
  thread_pool::instance().parallel_for(count, elementwise_grain, [&](int64_t first, int64_t end) {
    int64_t i = first;
    for (; i + 4 <= end; i += 4) store(x + i, apply(kind, load(x + i)));
    for (; i < end; ++i) x[i] = apply_one(kind, x[i]);
  });
}

void gated_activation(activation kind, float* gate, const float* up, int64_t count) {
  thread_pool::instance().parallel_for(count, elementwise_grain, [&](int64_t first, int64_t end) {
    int64_t i = first;
    for (; i + 4 <= end; i += 4) store(gate + i, mul(apply(kind, load(gate + i)), load(up + i)));
    for (; i < end; ++i) gate[i] = apply_one(kind, gate[i]) * up[i];
  });
}

}  // namespace wax
