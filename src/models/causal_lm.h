// What every decoder-only language model offers the generation loop and the bindings.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "models/loaded_model.h"
#include "nn/kv_cache.h"

namespace wax {

enum class logits_for { all_positions, last_position };

// One forward pass held between layers, so that callers can yield (abort checks, a responsive
// page) while a long prompt runs.
struct forward_pass {
  int64_t batch = 0;
  int64_t n_new = 0;
  int64_t start = 0;               // cache slots before this pass
  std::vector<int64_t> positions;  // (batch, n_new)
  tensor x;                        // (batch, n_new, hidden): the residual stream
  int64_t next_layer = 0;
};

class causal_lm : public loaded_model {
 public:
  virtual int64_t vocab_size() const = 0;
  virtual int64_t n_layers() const = 0;
  // The positions the model was trained for (config.json's max_position_embeddings).
  virtual int64_t max_position_embeddings() const = 0;
  virtual size_t weight_bytes() const = 0;  // the checkpoint bytes still held plus converted copies
  virtual size_t scratch_bytes() const = 0;  // working buffers kept between passes
  virtual kv_cache_shape cache_shape() const = 0;
  // A cache with room for `capacity` positions that grows as needed (up to `max_length` when > 0).
  kv_cache new_cache(int64_t batch, int64_t capacity, int64_t max_length = 0) const {
    return kv_cache(cache_shape(), batch, capacity, max_length);
  }

  // Runs ids (batch, n_new) after what `cache` already holds, appending their keys and values.
  // mask (batch, n_new) marks padding with 0 (null: none); batch and n_new must be positive. Begin embeds, each forward_layer call
  // runs the next decoder layer, end writes logits: (batch, n_new, vocab) for all_positions,
  // (batch, vocab) for last_position.
  virtual forward_pass forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                                     kv_cache& cache) const = 0;
  virtual void forward_layer(forward_pass& pass, kv_cache& cache) const = 0;
  virtual void forward_end(forward_pass& pass, logits_for which, float* logits) const = 0;

  // task "forward": input_ids and attention_mask (optional) (batch, seq) → "logits" (batch, seq,
  // vocab), one decoder layer a step.
  std::unique_ptr<job> new_job(const job_request& request) const override;
  json info() const override;

  // The three steps at once.
  void forward(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new, kv_cache& cache,
               logits_for which, float* logits) const {
    forward_pass pass = forward_begin(ids, mask, batch, n_new, cache);
    while (pass.next_layer < n_layers()) forward_layer(pass, cache);
    forward_end(pass, which, logits);
  }
};

// Builds the model config.json names (by `model_type`) over `w`, keeping matrices as `options`
// asks; throws naming the field or tensor that does not fit.
std::unique_ptr<causal_lm> causal_lm_load(std::string_view config_json, weights w, const load_options& options = {});

}  // namespace wax
