#include "ops/activations.h"

#include <cmath>

#include "core/thread_pool.h"

namespace wax {
namespace {

float apply_one(activation kind, float x) {
  switch (kind) {
    case activation::silu:
      return x / (1.0f + std::exp(-x));
    case activation::gelu:
      return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
    case activation::gelu_tanh:
      return 0.5f * x * (1.0f + std::tanh(0.79788456080286536f * (x + 0.044715f * x * x * x)));
    case activation::relu:
      return x > 0 ? x : 0.0f;
  }
  return x;
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
    for (int64_t i = first; i < end; ++i) x[i] = apply_one(kind, x[i]);
  });
}

void gated_activation(activation kind, float* gate, const float* up, int64_t count) {
  thread_pool::instance().parallel_for(count, elementwise_grain, [&](int64_t first, int64_t end) {
    for (int64_t i = first; i < end; ++i) gate[i] = apply_one(kind, gate[i]) * up[i];
  });
}

}  // namespace wax
