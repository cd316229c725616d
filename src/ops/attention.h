// Scaled dot-product attention (Vaswani et al. 2017) of one sequence's queries against its keys
// and values, with grouped-query sharing (Ainslie et al. 2023): query head h reads key/value head
// h / (n_heads / n_kv_heads). Named as torch.nn.functional.scaled_dot_product_attention; the
// block that projects, caches and calls it is nn/attention.h.
#pragma once

#include <cstdint>

namespace wax {

struct attention_shape {
  int64_t n_heads;
  int64_t n_kv_heads;
  int64_t head_dim;
  int64_t key_stride;  // distance between two kv heads, in positions (a cache's capacity)
};

// Which keys a query sees. Every kind drops a key whose key_visible entry is 0 (padding) when
// key_visible is given.
enum class attention_mask_kind {
  none,     // bidirectional: every key (encoders)
  padding,  // bidirectional over the real keys: key_visible is required
  causal,   // query i sees key j when j <= query_slots[i], and (window > 0) query_slots[i] - j < window
};

struct attention_mask {
  attention_mask_kind kind = attention_mask_kind::causal;
  const uint8_t* key_visible = nullptr;  // (n_keys,): 1 for a real token, 0 for padding; null: all real
  const int64_t* query_slots = nullptr;  // causal: (n_queries,), the key slot each query sits at
  int64_t window = 0;                    // causal: 0 for no sliding window
};

// q (n_queries, n_heads, head_dim); keys, values (n_kv_heads, key_stride, head_dim), the first
// n_keys positions filled; bias, when given, (n_heads, n_queries, n_keys) added to the scaled
// scores before the softmax (relative-position biases, ALiBi). A query that sees no key gets
// zeros. out (n_queries, n_heads, head_dim).
void scaled_dot_product_attention(const float* q, int64_t n_queries, const float* keys, const float* values,
                                  int64_t n_keys, const attention_shape& shape, const attention_mask& mask,
                                  const float* bias, float scale, float* out);

// Scalar reference for the tests, same contract.
void scaled_dot_product_attention_reference(const float* q, int64_t n_queries, const float* keys,
                                            const float* values, int64_t n_keys, const attention_shape& shape,
                                            const attention_mask& mask, const float* bias, float scale, float* out);

// The one relayout attention needs: rows (n, n_heads, head_dim), as a projection writes them, to
// (n_heads, stride, head_dim) at positions [first, first + n), as the op reads keys and values.
void heads_to_positions(const float* rows, int64_t n, int64_t n_heads, int64_t head_dim, float* out, int64_t stride,
                        int64_t first);

}  // namespace wax
