// Element-wise activations, named as config.json's `hidden_act` names them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace wax {

enum class activation { silu, gelu, gelu_tanh, relu };

// "silu"/"swish", "gelu" (exact erf), "gelu_pytorch_tanh"/"gelu_new"/"gelu_fast", "relu".
std::optional<activation> activation_from_name(std::string_view hidden_act);

void activation_apply(activation kind, float* x, int64_t count);

// The gated MLP of Shazeer 2020 ("GLU variants"): gate = act(gate) · up, in place on gate.
void gated_activation(activation kind, float* gate, const float* up, int64_t count);

}  // namespace wax
