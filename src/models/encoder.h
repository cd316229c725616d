// What every encoder (BERT now; Whisper's audio encoder next) offers callers: token states in
// steps of one layer, and the jobs forward and embed.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "models/loaded_model.h"
#include "nn/attention.h"

namespace wax {

struct encoder_output {
  tensor last_hidden_state;  // (batch, seq, hidden)
  tensor pooler_output;      // (batch, hidden), empty when the checkpoint has no pooler
};

// One forward pass held between layers, so that callers can yield (abort checks, a responsive
// page) while a long batch runs.
struct encoder_pass {
  int64_t batch = 0;
  int64_t seq = 0;
  tensor x;                      // (batch, seq, hidden): the residual stream
  std::vector<uint8_t> visible;  // (batch, seq): keys a query may attend to; empty: all
  int64_t next_layer = 0;
  // Working buffers shared by the pass's layers.
  attention_buffers attention;
  tensor h;      // (batch, seq, hidden): each block's output before its residual
  tensor inner;  // (batch, seq, intermediate)
};

class encoder_model : public loaded_model {
 public:
  virtual int64_t hidden_size() const = 0;
  virtual int64_t max_positions() const = 0;
  virtual int64_t n_layers() const = 0;

  // ids, token_type_ids, mask: (batch, seq), batch and seq positive; token_type_ids and mask may
  // be null (zeros / all ones). Begin embeds, each forward_layer call runs the next layer, end
  // gives the outputs.
  virtual encoder_pass forward_begin(const int32_t* ids, const int32_t* token_type_ids, const int32_t* mask,
                                     int64_t batch, int64_t seq) const = 0;
  virtual void forward_layer(encoder_pass& pass) const = 0;
  virtual encoder_output forward_end(encoder_pass& pass) const = 0;

  // The three steps at once.
  encoder_output forward(const int32_t* ids, const int32_t* token_type_ids, const int32_t* mask, int64_t batch,
                         int64_t seq) const {
    encoder_pass pass = forward_begin(ids, token_type_ids, mask, batch, seq);
    while (pass.next_layer < n_layers()) forward_layer(pass);
    return forward_end(pass);
  }

  // Tasks, one layer a step, over input_ids and the optional token_type_ids and attention_mask
  // (batch, seq): "forward" → "last_hidden_state" (batch, seq, hidden) and, when the checkpoint
  // has a pooler, "pooler_output" (batch, hidden); "embed" with options pooling ("none", "mean"
  // over the mask, "cls") and normalize (L2 per row) → "embeddings" (batch, hidden), or (batch,
  // seq, hidden) for pooling "none".
  std::unique_ptr<job> new_job(const job_request& request) const override;
  json info() const override;
};

// Builds the encoder config.json names (by `model_type`, models/registry.cpp); throws naming the
// field or tensor.
std::unique_ptr<encoder_model> encoder_load(std::string_view config_json, weights w, const load_options& options = {});

}  // namespace wax
