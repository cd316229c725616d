// BERT (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers"), the
// encoder of transformers' modeling_bert.py: post-LayerNorm layers, absolute positions, token
// types, and the tanh pooler. Reads checkpoints with and without the "bert." key prefix (plain
// transformers vs sentence-transformers).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "models/loaded_model.h"
#include "models/registry.h"

namespace wax {

struct encoder_output {
  tensor last_hidden_state;  // (batch, seq, hidden)
  tensor pooler_output;      // (batch, hidden), empty when the checkpoint has no pooler
};

class encoder_model : public loaded_model {
 public:
  virtual int64_t hidden_size() const = 0;
  virtual int64_t max_positions() const = 0;
  // ids, token_type_ids, mask: (batch, seq), batch and seq positive; token_type_ids and mask may
  // be null (zeros / all ones).
  virtual encoder_output forward(const int32_t* ids, const int32_t* token_type_ids, const int32_t* mask, int64_t batch,
                                 int64_t seq) const = 0;
};

// Builds the encoder config.json names (by `model_type`, models/registry.cpp); throws naming the
// field or tensor.
std::unique_ptr<encoder_model> encoder_load(std::string_view config_json, weights w, const load_options& options = {});

// The family's registry entries.
std::unique_ptr<loaded_model> bert_load(const config_reader& config, weights w, const load_options& options);
activation_estimate bert_estimate(const config_reader& config, int64_t max_length);

}  // namespace wax
