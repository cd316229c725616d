// Llama (Touvron et al. 2023, "LLaMA: Open and Efficient Foundation Language Models"), following
// transformers' modeling_llama.py; also Qwen2 (q/k/v biases) and Mistral (sliding window), which
// share its structure.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/config.h"
#include "models/causal_lm.h"
#include "models/registry.h"
#include "nn/linear.h"
#include "ops/activations.h"

namespace wax {

// Field names as in config.json.
struct llama_config {
  std::string model_type;
  int64_t vocab_size;
  int64_t hidden_size;
  int64_t intermediate_size;
  int64_t num_hidden_layers;
  int64_t num_attention_heads;
  int64_t num_key_value_heads;  // defaults to num_attention_heads (multi-head attention)
  int64_t head_dim;             // defaults to hidden_size / num_attention_heads
  int64_t max_position_embeddings;
  double rms_norm_eps;
  double rope_theta;
  std::vector<float> rope_inv_freq;  // from rope_theta and rope_scaling
  float rope_attention_scaling = 1.0f;
  activation hidden_act;
  bool q_k_v_bias;  // attention_bias (Llama), always on for Qwen2
  bool o_bias;      // attention_bias (Llama), never for Qwen2
  bool mlp_bias;
  bool tie_word_embeddings;
  int64_t sliding_window;  // 0: full causal attention

  static llama_config from_json(const config_reader& config);
};

// The family's registry entries (models/registry.cpp): llama, qwen2, mistral.
std::unique_ptr<loaded_model> llama_load(const config_reader& config, weights w, const load_options& options);
activation_estimate llama_estimate(const config_reader& config, int64_t max_length);

}  // namespace wax
