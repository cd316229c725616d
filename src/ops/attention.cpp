#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/thread_pool.h"
#include "ops/kernels/gemm_f32.h"
#include "ops/kernels/vector_math.h"

namespace wax {
namespace {

bool key_is_visible(const attention_mask& mask, int64_t key, int64_t query) {
  if (mask.key_visible && !mask.key_visible[key]) return false;
  if (mask.kind != attention_mask_kind::causal) return true;
  const int64_t slot = mask.query_slots[query];
  return key <= slot && (mask.window <= 0 || slot - key < mask.window);
}

// One query's scores to unnormalised attention weights: e^(scale · score + bias − max) over its
// visible keys (bias_row, when given), 0 for invisible ones. Returns 1 / their sum, by which
// the caller scales the query's output (head_dim values, not n_keys weights); 0 when the query
// sees no key, whose weights are then all 0.
float softmax_weights(float* scores, int64_t n_keys, float scale, const float* bias_row, const attention_mask& mask,
                      int64_t query) {
  using namespace simd;
  int64_t j = 0;
  if (bias_row) {
    for (; j + 4 <= n_keys; j += 4) store(scores + j, add(mul(load(scores + j), splat(scale)), load(bias_row + j)));
    for (; j < n_keys; ++j) scores[j] = scores[j] * scale + bias_row[j];
    scale = 1.0f;
  }
  constexpr float hidden = -std::numeric_limits<float>::infinity();  // exp() makes it 0
  if (mask.kind != attention_mask_kind::none || mask.key_visible)
    for (j = 0; j < n_keys; ++j)
      if (!key_is_visible(mask, j, query)) scores[j] = hidden;
  // scale > 0: the largest score is the largest scaled one.
  f32x4 lane_max = splat(hidden);
  for (j = 0; j + 4 <= n_keys; j += 4) lane_max = max(lane_max, load(scores + j));
  float lanes[4];
  store(lanes, lane_max);
  float max_score = std::max(std::max(lanes[0], lanes[1]), std::max(lanes[2], lanes[3]));
  for (; j < n_keys; ++j) max_score = std::max(max_score, scores[j]);
  if (max_score == hidden) {
    std::fill_n(scores, n_keys, 0.0f);
    return 0.0f;
  }
  const f32x4 offset = splat(max_score), scale_lanes = splat(scale);
  f32x4 lane_sum = zero();
  for (j = 0; j + 4 <= n_keys; j += 4) {
    const f32x4 weight = exp(mul(sub(load(scores + j), offset), scale_lanes));
    store(scores + j, weight);
    lane_sum = add(lane_sum, weight);
  }
  float total = sum(lane_sum);
  for (; j < n_keys; ++j) {
    scores[j] = on_one_lane((scores[j] - max_score) * scale, [](f32x4 lanes) { return exp(lanes); });
    total += scores[j];
  }
  return 1.0f / total;
}

// row (d,) *= factor.
void scale_row(float* row, int64_t d, float factor) {
  for (int64_t c = 0; c < d; ++c) row[c] *= factor;
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
  const int64_t group = shape.n_heads / shape.n_kv_heads, d = shape.head_dim;
  const int64_t row_stride = shape.n_heads * d;
  thread_pool& pool = thread_pool::instance();
  const auto bias_row = [&](int64_t h, int64_t query) { return bias ? bias + (h * n_queries + query) * n_keys : nullptr; };
  // Keys after a block's last slot are in its future: causal attention never sees them.
  const auto keys_seen = [&](int64_t first_query, int64_t queries) {
    if (mask.kind != attention_mask_kind::causal) return n_keys;
    return std::min(n_keys, 1 + *std::max_element(mask.query_slots + first_query, mask.query_slots + first_query + queries));
  };
  if (n_queries == 1) {  // decode: dot products straight over the cache; packing would cost more than it saves
    const int64_t seen = keys_seen(0, 1);
    pool.parallel_for(shape.n_heads, 1, [&](int64_t first, int64_t end) {
      std::vector<float> scores(static_cast<size_t>(seen));
      for (int64_t h = first; h < end; ++h) {
        const float* k_h = keys + (h / group) * shape.key_stride * d;
        const float* v_h = values + (h / group) * shape.key_stride * d;
        gemm_xwt_f32_dot(q + h * d, 1, d, k_h, seen, scores.data(), seen);
        const float inverse_sum = softmax_weights(scores.data(), seen, scale, bias_row(h, 0), mask, 0);
        weighted_sum(scores.data(), v_h, seen, d, out + h * d);
        scale_row(out + h * d, d, inverse_sum);
      }
    });
    return;
  }
  // Prompts and encoders: one kv head at a time, its keys and values packed once for the packed
  // SIMD kernel (Eigen 3.4 has no wasm SIMD) and read by every block of queries of its heads;
  // the threads take (head, block of 16 queries) tasks.
  constexpr int64_t query_block = 16;
  const int64_t blocks_per_head = (n_queries + query_block - 1) / query_block;
  std::vector<float> key_panels(size_t(packed_panels_floats(d, n_keys))), value_panels(size_t(packed_panels_floats(n_keys, d)));
  for (int64_t kv_head = 0; kv_head < shape.n_kv_heads; ++kv_head) {
    pack_rows_into_panels(keys + kv_head * shape.key_stride * d, d, n_keys, key_panels.data());
    pack_columns_into_panels(values + kv_head * shape.key_stride * d, n_keys, d, value_panels.data());
    pool.parallel_for(group * blocks_per_head, 1, [&](int64_t first, int64_t end) {
      std::vector<float> scores, q_block, inverse_sums(static_cast<size_t>(query_block));
      for (int64_t task = first; task < end; ++task) {
        const int64_t h = kv_head * group + task / blocks_per_head, first_query = (task % blocks_per_head) * query_block;
        const int64_t queries = std::min(query_block, n_queries - first_query), seen = keys_seen(first_query, queries);
        const float* q_h = q + first_query * row_stride + h * d;
        q_block.resize(size_t(queries * d));  // (queries, head_dim), the block's rows gathered
        for (int64_t i = 0; i < queries; ++i) std::copy_n(q_h + i * row_stride, d, q_block.data() + i * d);
        scores.resize(size_t(queries * seen));
        gemm_xwt_panels(q_block.data(), queries, d, key_panels.data(), d, seen, scores.data(), seen);
        for (int64_t i = 0; i < queries; ++i)
          inverse_sums[size_t(i)] = softmax_weights(scores.data() + i * seen, seen, scale, bias_row(h, first_query + i), mask,
                                                    first_query + i);
        float* out_h = out + first_query * row_stride + h * d;
        gemm_xwt_panels(scores.data(), queries, seen, value_panels.data(), n_keys, d, out_h, row_stride);
        for (int64_t i = 0; i < queries; ++i) scale_row(out_h + i * row_stride, d, inverse_sums[size_t(i)]);
      }
    });
  }
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
