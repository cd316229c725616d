// What every decoder-only language model offers the generation loop and the bindings.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "models/decoder.h"
#include "models/loaded_model.h"
#include "nn/kv_cache.h"

namespace wax {

// A decoder-only model: the token decoder (models/decoder.h) over its own checkpoint.
class causal_lm : public loaded_model, public token_decoder {
 public:
  virtual size_t weight_bytes() const = 0;  // the checkpoint bytes still held plus converted copies
  virtual size_t scratch_bytes() const = 0;  // working buffers kept between passes

  // task "forward": input_ids and attention_mask (optional) (batch, seq) → "logits" (batch, seq,
  // vocab), one decoder layer a step.
  std::unique_ptr<job> new_job(const job_request& request) const override;
  json info() const override;
};

// Builds the model config.json names (by `model_type`) over `w`, keeping matrices as `options`
// asks; throws naming the field or tensor that does not fit.
std::unique_ptr<causal_lm> causal_lm_load(std::string_view config_json, weights w, const load_options& options = {});

}  // namespace wax
