// What the generation loop drives: a decoder of tokens over a KV cache, run one layer at a time.
// A causal language model is one; a sequence-to-sequence model's decoder bound to one encoder
// output (models/seq2seq.h) is another.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "nn/kv_cache.h"
#include "nn/linear.h"

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

class token_decoder {
 public:
  virtual ~token_decoder() = default;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t n_layers() const = 0;
  // The positions the model was trained for (config.json's max_position_embeddings, Whisper's
  // max_target_positions).
  virtual int64_t max_position_embeddings() const = 0;
  virtual kv_cache_shape cache_shape() const = 0;
  // A cache with room for `capacity` positions that grows as needed (up to `max_length` when > 0).
  kv_cache new_cache(int64_t batch, int64_t capacity, int64_t max_length = 0) const {
    return kv_cache(cache_shape(), batch, capacity, max_length);
  }

  // Runs ids (batch, n_new) after what `cache` already holds, appending their keys and values.
  // mask (batch, n_new) marks padding with 0 (null: none); batch and n_new must be positive.
  // Begin embeds, each forward_layer call runs the next decoder layer, end writes logits:
  // (batch, n_new, vocab) for all_positions, (batch, vocab) for last_position.
  virtual forward_pass forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                                     kv_cache& cache) const = 0;
  virtual void forward_layer(forward_pass& pass, kv_cache& cache) const = 0;
  virtual void forward_end(forward_pass& pass, logits_for which, float* logits) const = 0;

  // The three steps at once.
  void forward(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new, kv_cache& cache,
               logits_for which, float* logits) const {
    forward_pass pass = forward_begin(ids, mask, batch, n_new, cache);
    while (pass.next_layer < n_layers()) forward_layer(pass, cache);
    forward_end(pass, which, logits);
  }
};

// The logits a forward_end writes: the final normed stream x (batch, n_new, hidden) through the
// head, at every position or at each row's last (gathered into `last`, (batch, hidden), scratch).
void decoder_logits(const linear& head, const forward_pass& pass, logits_for which, tensor& last, float* logits);

}  // namespace wax
