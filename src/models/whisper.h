// Whisper (Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak Supervision"),
// following transformers' modeling_whisper.py (WhisperForConditionalGeneration key names): a
// conv1d stem and a pre-LN Transformer encoder over log-mel features, a pre-LN decoder with
// learned positions, causal self-attention and cross-attention to the encoder output, and logits
// through proj_out, tied to the token embedding.
#pragma once

#include <memory>
#include <string>

#include "io/config.h"
#include "models/registry.h"
#include "ops/activations.h"

namespace wax {

// Field names as in config.json; defaults as transformers' WhisperConfig.
struct whisper_config {
  int64_t vocab_size;
  int64_t num_mel_bins;
  int64_t d_model;
  int64_t encoder_layers;
  int64_t encoder_attention_heads;
  int64_t encoder_ffn_dim;
  int64_t decoder_layers;
  int64_t decoder_attention_heads;
  int64_t decoder_ffn_dim;
  int64_t max_source_positions;  // encoder positions: the input is 2 · max_source_positions frames
  int64_t max_target_positions;  // decoder positions
  int32_t decoder_start_token_id;
  activation activation_function;
  bool scale_embedding;  // token embeddings multiplied by sqrt(d_model)

  static whisper_config from_json(const config_reader& config);
};

// The family's registry entries (models/registry.cpp).
std::unique_ptr<loaded_model> whisper_load(const config_reader& config, weights w, const load_options& options);
activation_estimate whisper_estimate(const config_reader& config, int64_t max_length);
// The matrices, never the embed_positions tables (added to the stream as plain floats).
bool whisper_converts(const std::string& name, const shape_t& shape);

}  // namespace wax
