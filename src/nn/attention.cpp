#include "nn/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/rope.h"

namespace wax {

size_t attention_buffers::bytes() const {
  size_t total = 0;
  for (const tensor* t : {&q, &k, &v, &keys, &values, &context}) total += t->capacity_bytes();
  return total;
}

attention attention::load(const weights_prefix& w, const attention_dims& d, const attention_names& names,
                          std::vector<float> rope_inv_freq, float rope_attention_scaling) {
  const int64_t q_dim = d.n_heads * d.head_dim, kv_dim = d.n_kv_heads * d.head_dim;
  return attention(d, linear::load(w.pp(names.q), d.hidden, q_dim, names.q_k_v_bias),
                   linear::load(w.pp(names.k), d.hidden, kv_dim, names.q_k_v_bias && !names.k_bias_free),
                   linear::load(w.pp(names.v), d.hidden, kv_dim, names.q_k_v_bias),
                   linear::load(w.pp(names.o), q_dim, d.hidden, names.o_bias), std::move(rope_inv_freq),
                   rope_attention_scaling);
}

size_t attention::owned_bytes() const {
  return q_proj_.owned_bytes() + k_proj_.owned_bytes() + v_proj_.owned_bytes() + o_proj_.owned_bytes();
}

float attention::scale() const { return 1.0f / std::sqrt(float(dims_.head_dim)); }

void attention::forward_cached(const tensor& x, const int64_t* positions, kv_cache& cache, int64_t layer, int64_t start,
                               int64_t window, attention_buffers& buffers, tensor& out) const {
  const int64_t batch = x.dim(0), n_new = x.dim(1), tokens = batch * n_new;
  const int64_t q_dim = dims_.n_heads * dims_.head_dim;
  tensor &q = buffers.q, &k = buffers.k, &v = buffers.v, &context = buffers.context;
  q_proj_.forward(x, q);
  k_proj_.forward(x, k);
  v_proj_.forward(x, v);
  if (!rope_inv_freq_.empty()) {
    rope_apply(q.data(), tokens, dims_.n_heads, dims_.head_dim, positions, rope_inv_freq_, rope_attention_scaling_);
    rope_apply(k.data(), tokens, dims_.n_kv_heads, dims_.head_dim, positions, rope_inv_freq_, rope_attention_scaling_);
  }

  std::vector<int64_t> query_slots(static_cast<size_t>(n_new));  // (n_new,)
  for (int64_t t = 0; t < n_new; ++t) query_slots[size_t(t)] = start + t;
  attention_mask mask{attention_mask_kind::causal, nullptr, query_slots.data(), window};
  context.resize({batch, n_new, q_dim});
  for (int64_t b = 0; b < batch; ++b) {
    const tensor_view keys = cache.keys(layer, b), values = cache.values(layer, b);  // (n_kv_heads, capacity, head_dim)
    heads_to_positions(k.row(b * n_new), n_new, dims_.n_kv_heads, dims_.head_dim, keys.data(), keys.dim(1), start);
    heads_to_positions(v.row(b * n_new), n_new, dims_.n_kv_heads, dims_.head_dim, values.data(), values.dim(1), start);
    mask.key_visible = cache.visible(b);
    scaled_dot_product_attention(q.row(b * n_new), n_new, keys.data(), values.data(), start + n_new, shape(keys.dim(1)),
                                 mask, nullptr, scale(), context.row(b * n_new));
  }
  o_proj_.forward(context, out);
}

void attention::forward(const tensor& x, const tensor& source, attention_mask_kind kind, const uint8_t* key_visible,
                        const float* bias, attention_buffers& buffers, tensor& out) const {
  const int64_t batch = x.dim(0), n_queries = x.dim(1), n_keys = source.dim(1);
  const int64_t q_dim = dims_.n_heads * dims_.head_dim;
  tensor &q = buffers.q, &k = buffers.k, &v = buffers.v, &context = buffers.context;
  q_proj_.forward(x, q);
  k_proj_.forward(source, k);
  v_proj_.forward(source, v);

  tensor& keys = buffers.keys.resize({dims_.n_kv_heads, n_keys, dims_.head_dim});
  tensor& values = buffers.values.resize({dims_.n_kv_heads, n_keys, dims_.head_dim});
  context.resize({batch, n_queries, q_dim});
  attention_mask mask{kind, nullptr, nullptr, 0};
  for (int64_t b = 0; b < batch; ++b) {
    heads_to_positions(k.row(b * n_keys), n_keys, dims_.n_kv_heads, dims_.head_dim, keys.data(), n_keys, 0);
    heads_to_positions(v.row(b * n_keys), n_keys, dims_.n_kv_heads, dims_.head_dim, values.data(), n_keys, 0);
    mask.key_visible = key_visible ? key_visible + b * n_keys : nullptr;
    scaled_dot_product_attention(q.row(b * n_queries), n_queries, keys.data(), values.data(), n_keys, shape(n_keys),
                                 mask, bias ? bias + b * dims_.n_heads * n_queries * n_keys : nullptr, scale(),
                                 context.row(b * n_queries));
  }
  o_proj_.forward(context, out);
}

void attention::cache_keys_values(const tensor& source, kv_cache& cache, int64_t layer, attention_buffers& buffers) const {
  const int64_t batch = source.dim(0), n_keys = source.dim(1);
  tensor &k = buffers.k, &v = buffers.v;
  k_proj_.forward(source, k);
  v_proj_.forward(source, v);
  for (int64_t b = 0; b < batch; ++b) {
    const tensor_view keys = cache.keys(layer, b), values = cache.values(layer, b);  // (n_kv_heads, capacity, head_dim)
    heads_to_positions(k.row(b * n_keys), n_keys, dims_.n_kv_heads, dims_.head_dim, keys.data(), keys.dim(1), 0);
    heads_to_positions(v.row(b * n_keys), n_keys, dims_.n_kv_heads, dims_.head_dim, values.data(), values.dim(1), 0);
  }
}

void attention::forward_over_cache(const tensor& x, const kv_cache& cache, int64_t layer, attention_buffers& buffers,
                                   tensor& out, const attention_probe* probe) const {
  const int64_t batch = x.dim(0), n_queries = x.dim(1), n_keys = cache.length();
  tensor &q = buffers.q, &context = buffers.context;
  q_proj_.forward(x, q);
  context.resize({batch, n_queries, dims_.n_heads * dims_.head_dim});
  attention_mask mask{attention_mask_kind::padding, nullptr, nullptr, 0};
  for (int64_t b = 0; b < batch; ++b) {
    mask.key_visible = cache.visible(b);
    scaled_dot_product_attention(q.row(b * n_queries), n_queries, cache.keys(layer, b), cache.values(layer, b), n_keys,
                                 shape(cache.capacity()), mask, nullptr, scale(), context.row(b * n_queries));
    if (probe) record_probabilities(q.row(b * n_queries), n_queries, cache.keys(layer, b), cache.capacity(), n_keys,
                                    cache.visible(b), *probe, b);
  }
  o_proj_.forward(context, out);
}

// softmax(scale · q·kᵀ) over the visible keys for the probe's heads, as the fused op computes it
// inside (it keeps no weights).
void attention::record_probabilities(const float* q, int64_t n_queries, const float* keys, int64_t key_stride,
                                     int64_t n_keys, const uint8_t* key_visible, const attention_probe& probe,
                                     int64_t b) const {
  const int64_t q_dim = dims_.n_heads * dims_.head_dim, group = dims_.n_heads / dims_.n_kv_heads;
  for (int64_t query = 0; query < n_queries; ++query)
    for (size_t i = 0; i < probe.heads.size(); ++i) {
      const int64_t head = probe.heads[i];
      const float* qh = q + query * q_dim + head * dims_.head_dim;
      const float* kh = keys + (head / group) * key_stride * dims_.head_dim;
      float* weights = probe.rows[size_t(b)] + (probe.first_query + query) * probe.row_stride + int64_t(i) * n_keys;
      float largest = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < n_keys; ++j) {
        if (key_visible && !key_visible[j]) continue;
        float dot = 0;
        for (int64_t d = 0; d < dims_.head_dim; ++d) dot += qh[d] * kh[j * dims_.head_dim + d];
        weights[j] = dot * scale();
        largest = std::max(largest, weights[j]);
      }
      double total = 0;
      for (int64_t j = 0; j < n_keys; ++j) {
        weights[j] = key_visible && !key_visible[j] ? 0.0f : std::exp(weights[j] - largest);
        total += weights[j];
      }
      for (int64_t j = 0; j < n_keys; ++j) weights[j] = float(weights[j] / total);
    }
}

}  // namespace wax
