// Scaled dot-product attention (Vaswani et al. 2017) of one sequence's new queries against its
// cached keys and values, with grouped-query sharing (Ainslie et al. 2023): query head h reads
// key/value head h / (n_heads / n_kv_heads).
#pragma once

#include <cstdint>

namespace wax {

struct attention_shape {
  int64_t n_heads;
  int64_t n_kv_heads;
  int64_t head_dim;
  int64_t key_stride;  // distance between two kv heads in the cache, in positions (its capacity)
};

// q (n_queries, n_heads, head_dim); keys, values (n_kv_heads, key_stride, head_dim), the first
// n_keys positions filled. Query i sits at slot query_slots[i] and sees key j when j <= that
// slot, key_visible[j] is set, and (if window > 0) slot - j < window. A query that sees no key
// gets zeros. out (n_queries, n_heads, head_dim).
void attention(const float* q, int64_t n_queries, const float* keys, const float* values, int64_t n_keys,
               const attention_shape& shape, const uint8_t* key_visible, const int64_t* query_slots,
               int64_t window, float scale, float* out);

// Scalar reference for the tests, same contract.
void attention_reference(const float* q, int64_t n_queries, const float* keys, const float* values,
                         int64_t n_keys, const attention_shape& shape, const uint8_t* key_visible,
                         const int64_t* query_slots, int64_t window, float scale, float* out);

}  // namespace wax
