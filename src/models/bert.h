// BERT (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional Transformers"), the
// encoder of transformers' modeling_bert.py: post-LayerNorm layers, absolute positions, token
// types, and the tanh pooler. Reads checkpoints with and without the "bert." key prefix (plain
// transformers vs sentence-transformers).
#pragma once

#include <memory>

#include "io/weights.h"
#include "models/encoder.h"
#include "models/registry.h"

namespace wax {

// The family's registry entries.
std::unique_ptr<loaded_model> bert_load(const config_reader& config, weights w, const load_options& options);
activation_estimate bert_estimate(const config_reader& config, int64_t max_length);

}  // namespace wax
