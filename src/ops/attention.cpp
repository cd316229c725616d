#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <Eigen/Core>

#include "core/thread_pool.h"
#include "ops/kernels/gemm_f32.h"
#include "ops/kernels/simd.h"

namespace wax {
namespace {

using matrix_rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

bool key_is_visible(const attention_mask& mask, int64_t key, int64_t query) {
  if (mask.key_visible && !mask.key_visible[key]) return false;
  if (mask.kind != attention_mask_kind::causal) return true;
  const int64_t slot = mask.query_slots[query];
  return key <= slot && (mask.window <= 0 || slot - key < mask.window);
}

// Softmax of one query's scores over its visible keys; invisible keys get weight 0, and a query
// that sees no key gets all zeros.
void masked_softmax(float* scores, int64_t n_keys, const attention_mask& mask, int64_t query) {
  float max_score = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n_keys; ++j)
    if (key_is_visible(mask, j, query)) max_score = std::max(max_score, scores[j]);
  float sum = 0;
  for (int64_t j = 0; j < n_keys; ++j) {
    const float weight = key_is_visible(mask, j, query) ? std::exp(scores[j] - max_score) : 0.0f;
    scores[j] = weight;
    sum += weight;
  }
  if (sum > 0)
    for (int64_t j = 0; j < n_keys; ++j) scores[j] /= sum;
}

// scores (queries, seen) += bias rows [first_query, first_query + queries) of one head, whose rows
// hold n_keys values.
void add_bias(float* scores, int64_t queries, int64_t seen, const float* bias_h, int64_t first_query, int64_t n_keys) {
  for (int64_t i = 0; i < queries; ++i) {
    const float* row = bias_h + (first_query + i) * n_keys;
    for (int64_t j = 0; j < seen; ++j) scores[i * seen + j] += row[j];
  }
}

// out (d,) = Σ_j weights[j] · rows[j] over n rows of d floats: sixteen columns at a time, so the
// partial sums stay in registers while the rows stream past.
void weighted_sum(const float* weights, const float* rows, int64_t n, int64_t d, float* out) {
  using namespace simd;
  int64_t c = 0;
  for (; c + 16 <= d; c += 16) {
    f32x4 acc[4] = {zero(), zero(), zero(), zero()};
    for (int64_t j = 0; j < n; ++j) {
      const f32x4 weight = splat(weights[j]);
#pragma GCC unroll 4
      for (int a = 0; a < 4; ++a) acc[a] = add(acc[a], mul(weight, load(rows + j * d + c + 4 * a)));
    }
#pragma GCC unroll 4
    for (int a = 0; a < 4; ++a) store(out + c + 4 * a, acc[a]);
  }
  for (; c + 4 <= d; c += 4) {
    f32x4 acc = zero();
    for (int64_t j = 0; j < n; ++j) acc = add(acc, mul(splat(weights[j]), load(rows + j * d + c)));
    store(out + c, acc);
  }
  for (; c < d; ++c) {
    float acc = 0;
    for (int64_t j = 0; j < n; ++j) acc += weights[j] * rows[j * d + c];
    out[c] = acc;
  }
}

}  // namespace

void scaled_dot_product_attention(const float* q, int64_t n_queries, const float* keys, const float* values,
                                  int64_t n_keys, const attention_shape& shape, const attention_mask& mask,
                                  const float* bias, float scale, float* out) {
  const int64_t group = shape.n_heads / shape.n_kv_heads;
  const int64_t row_stride = shape.n_heads * shape.head_dim;
  // The threads take (head, block of queries) tasks: a prompt's 9 heads on 2 threads would
  // otherwise split 5 to 4. Blocks of 16 queries keep each product large enough for Eigen.
  constexpr int64_t query_block = 16;
  const int64_t blocks_per_head = (n_queries + query_block - 1) / query_block;
  thread_pool::instance().parallel_for(shape.n_heads * blocks_per_head, 1, [&](int64_t first, int64_t end) {
    matrix_rm scores;
    std::vector<float> q_block;
    for (int64_t task = first; task < end; ++task) {
      const int64_t h = task / blocks_per_head, first_query = (task % blocks_per_head) * query_block;
      const int64_t queries = std::min(query_block, n_queries - first_query);
      const int64_t kv_head = h / group;
      const float* q_h = q + first_query * row_stride + h * shape.head_dim;
      const float* k_h = keys + kv_head * shape.key_stride * shape.head_dim;
      const float* v_h = values + kv_head * shape.key_stride * shape.head_dim;
      const float* bias_h = bias ? bias + h * n_queries * n_keys : nullptr;
      float* out_h = out + first_query * row_stride + h * shape.head_dim;
      // Keys after the block's last slot are in its future: causal attention never sees them.
      const int64_t seen = mask.kind != attention_mask_kind::causal
                               ? n_keys
                               : std::min(n_keys, 1 + *std::max_element(mask.query_slots + first_query,
                                                                         mask.query_slots + first_query + queries));
      scores.resize(queries, seen);
      if (queries == 1) {  // decode: Eigen's products cost more than they compute at this size
        gemm_xwt_f32_dot(q_h, 1, shape.head_dim, k_h, seen, scores.data(), seen);
        scores *= scale;
        if (bias_h) add_bias(scores.data(), 1, seen, bias_h, first_query, n_keys);
        masked_softmax(scores.data(), seen, mask, first_query);
        weighted_sum(scores.data(), v_h, seen, shape.head_dim, out_h);
        continue;
      }
      // Both products through the packed SIMD kernel: Eigen 3.4 has no wasm SIMD, so its products
      // run scalar in the browser. scores = q · kᵀ with the keys as the weight matrix; then
      // out = scores · v, whose weight row c is v's column c.
      const int64_t d = shape.head_dim;
      q_block.resize(size_t(queries * d));  // (queries, head_dim), the block's rows gathered
      for (int64_t i = 0; i < queries; ++i) std::copy_n(q_h + i * row_stride, d, q_block.data() + i * d);
      const weight_view keys_h{dtype::f32, {seen, d}, reinterpret_cast<const std::byte*>(k_h), size_t(seen * d) * sizeof(float)};
      gemm_xwt_packed_4x8(q_block.data(), queries, d, keys_h, scores.data(), seen);
      scores *= scale;
      if (bias_h) add_bias(scores.data(), queries, seen, bias_h, first_query, n_keys);
      for (int64_t i = 0; i < queries; ++i) masked_softmax(scores.data() + i * seen, seen, mask, first_query + i);
      gemm_xwt_packed_4x8(scores.data(), queries, seen, d, [&](int64_t c, float* column) {
        for (int64_t j = 0; j < seen; ++j) column[j] = v_h[j * d + c];
      }, out_h, row_stride);
    }
  });
}

void scaled_dot_product_attention_reference(const float* q, int64_t n_queries, const float* keys,
                                            const float* values, int64_t n_keys, const attention_shape& shape,
                                            const attention_mask& mask, const float* bias, float scale, float* out) {
  const int64_t group = shape.n_heads / shape.n_kv_heads;
  const int64_t d = shape.head_dim;
  std::vector<double> weights(static_cast<size_t>(n_keys));
  for (int64_t i = 0; i < n_queries; ++i) {
    for (int64_t h = 0; h < shape.n_heads; ++h) {
      const float* q_row = q + (i * shape.n_heads + h) * d;
      const int64_t kv_offset = (h / group) * shape.key_stride * d;
      double max_score = -std::numeric_limits<double>::infinity();
      for (int64_t j = 0; j < n_keys; ++j) {
        double dot = 0;
        for (int64_t c = 0; c < d; ++c) dot += double(q_row[c]) * keys[kv_offset + j * d + c];
        weights[size_t(j)] = dot * scale + (bias ? bias[(h * n_queries + i) * n_keys + j] : 0.0);
        if (key_is_visible(mask, j, i)) max_score = std::max(max_score, weights[size_t(j)]);
      }
      double sum = 0;
      for (int64_t j = 0; j < n_keys; ++j) {
        weights[size_t(j)] = key_is_visible(mask, j, i) ? std::exp(weights[size_t(j)] - max_score) : 0.0;
        sum += weights[size_t(j)];
      }
      float* out_row = out + (i * shape.n_heads + h) * d;
      for (int64_t c = 0; c < d; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < n_keys; ++j) acc += weights[size_t(j)] * values[kv_offset + j * d + c];
        out_row[c] = sum > 0 ? float(acc / sum) : 0.0f;
      }
    }
  }
}

void heads_to_positions(const float* rows, int64_t n, int64_t n_heads, int64_t head_dim, float* out, int64_t stride,
                        int64_t first) {
  for (int64_t t = 0; t < n; ++t)
    for (int64_t h = 0; h < n_heads; ++h)
      std::copy_n(rows + (t * n_heads + h) * head_dim, head_dim, out + (h * stride + first + t) * head_dim);
}

}  // namespace wax
