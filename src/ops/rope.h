// Rotary position embeddings (Su et al. 2021, "RoFormer"), in the Hugging Face "rotate half"
// layout: dimension i pairs with i + head_dim/2 and turns by position · inv_freq[i].
#pragma once

#include <cstdint>
#include <vector>

namespace wax {

// inv_freq[i] = 1 / theta^(2i / rotary_dim), i < rotary_dim / 2.
std::vector<float> rope_inv_freq_default(int64_t rotary_dim, double theta);

// Llama 3.1's frequency-dependent scaling: long wavelengths divided by `factor`, short ones
// kept, a smooth blend in between (transformers' _compute_llama3_parameters).
void rope_scale_llama3(std::vector<float>& inv_freq, double factor, double low_freq_factor,
                       double high_freq_factor, double original_max_position_embeddings);

// x (n_tokens, n_heads, head_dim), rotated in place; positions has n_tokens entries.
// cos and sin are multiplied by attention_scaling (1 except for YaRN-style scalings).
void rope_apply(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int64_t* positions,
                const std::vector<float>& inv_freq, float attention_scaling);

}  // namespace wax
