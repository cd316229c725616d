// Multi-head attention as one block (Vaswani et al. 2017): q/k/v/o projections, grouped-query
// sharing (Ainslie et al. 2023), an optional rotary embedding (Su et al. 2021), self- or
// cross-attention, a mask kind and an optional additive bias. The KV-cache write is here and
// nowhere else; the softmax(q·kᵀ)·v itself is ops/attention.h's.
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "nn/kv_cache.h"
#include "nn/linear.h"
#include "ops/attention.h"

namespace wax {

struct attention_dims {
  int64_t hidden;      // the width of the block's input and output
  int64_t n_heads;
  int64_t n_kv_heads;  // n_heads for multi-head attention, fewer for grouped-query
  int64_t head_dim;
};

// The projections' keys under the block's prefix, spelled as the checkpoint spells them, and
// which of them have a bias.
struct attention_names {
  std::string q, k, v, o;
  bool q_k_v_bias = false, o_bias = false;
  bool k_bias_free = false;  // k has no bias even when q and v have one (Whisper)
};

// Working buffers shared by every layer's block (a model runs one layer at a time), grown to the
// largest pass and kept.
struct attention_buffers {
  tensor q;             // (batch, n_queries, n_heads · head_dim)
  tensor k, v;          // (batch, n_keys, n_kv_heads · head_dim), as projected
  tensor keys, values;  // (n_kv_heads, n_keys, head_dim): one row's, as the op reads them (no cache)
  tensor context;       // (batch, n_queries, n_heads · head_dim)
  size_t bytes() const;
};

// Where forward_over_cache writes the attention weights of chosen heads: for batch row b, head
// heads[i] and query q, n_keys probabilities (the cache's real keys, in order) at
// rows[b] + (first_query + q) · row_stride + i · n_keys.
struct attention_probe {
  std::vector<int64_t> heads;
  std::vector<float*> rows;  // (batch,)
  int64_t first_query = 0;
  int64_t row_stride = 0;
};

class attention {
 public:
  // rope_inv_freq empty: no rotary embedding (absolute positions were added to the input).
  static attention load(const weights_prefix& w, const attention_dims& dims, const attention_names& names,
                        std::vector<float> rope_inv_freq = {}, float rope_attention_scaling = 1.0f);

  // Causal self-attention of new tokens after the `start` positions `cache` holds (decoders).
  // x (batch, n_new, hidden); positions (batch, n_new) turn the rotary embedding. Writes the new
  // keys and values to slots [start, start + n_new) of the cache's layer `layer`; each query sees
  // the real keys up to its own slot (within `window` slots when window > 0).
  // out (batch, n_new, hidden); it may be x.
  void forward_cached(const tensor& x, const int64_t* positions, kv_cache& cache, int64_t layer, int64_t start,
                      int64_t window, attention_buffers& buffers, tensor& out) const;

  // Attention over whole sequences, no cache: self-attention when `source` is x, cross-attention
  // when it is another sequence (an encoder's output). x (batch, n_queries, hidden), source
  // (batch, n_keys, hidden). kind none or padding; key_visible (batch, n_keys) marks padding with 0
  // (null: none); bias, when given, (batch, n_heads, n_queries, n_keys) is added to the scores.
  // out (batch, n_queries, hidden); it may be x.
  void forward(const tensor& x, const tensor& source, attention_mask_kind kind, const uint8_t* key_visible,
               const float* bias, attention_buffers& buffers, tensor& out) const;

  // Cross-attention keys and values, computed once per source: source (batch, n_keys, hidden),
  // an encoder's output, projected into slots [0, n_keys) of the cache's layer `layer`, whose
  // length must be n_keys (one append of n_keys real slots).
  void cache_keys_values(const tensor& source, kv_cache& cache, int64_t layer, attention_buffers& buffers) const;

  // Cross-attention of x (batch, n_queries, hidden) over every key the cache's layer `layer`
  // holds (cache_keys_values'). out (batch, n_queries, hidden); it may be x. `probe`, when given,
  // also receives the softmax weights of some heads (word timestamps read them; the normal path
  // pays nothing).
  void forward_over_cache(const tensor& x, const kv_cache& cache, int64_t layer, attention_buffers& buffers,
                          tensor& out, const attention_probe* probe = nullptr) const;

  size_t owned_bytes() const;  // the projections' converted copies

 private:
  attention(const attention_dims& dims, linear q_proj, linear k_proj, linear v_proj, linear o_proj,
            std::vector<float> rope_inv_freq, float rope_attention_scaling)
      : dims_(dims), q_proj_(std::move(q_proj)), k_proj_(std::move(k_proj)), v_proj_(std::move(v_proj)),
        o_proj_(std::move(o_proj)), rope_inv_freq_(std::move(rope_inv_freq)), rope_attention_scaling_(rope_attention_scaling) {}
  attention_shape shape(int64_t key_stride) const { return {dims_.n_heads, dims_.n_kv_heads, dims_.head_dim, key_stride}; }
  float scale() const;
  void record_probabilities(const float* q, int64_t n_queries, const float* keys, int64_t key_stride, int64_t n_keys,
                            const uint8_t* key_visible, const attention_probe& probe, int64_t b) const;

  attention_dims dims_;
  linear q_proj_, k_proj_, v_proj_, o_proj_;
  std::vector<float> rope_inv_freq_;  // (head_dim / 2,) or empty
  float rope_attention_scaling_;
};

}  // namespace wax
