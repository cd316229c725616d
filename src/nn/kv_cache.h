// Keys and values of every layer for a batch of sequences, and which of their slots hold real
// tokens. Left-padded rows keep their pad slots, marked invisible, so all rows share one length.
// The cache grows as appends need room (doubling, copying what it holds), so a generation holds
// the positions it reached, not the most it could reach.
#pragma once

#include <cstdint>
#include <cstddef>
#include <vector>

#include "core/tensor.h"

namespace wax {

struct kv_cache_shape {
  int64_t n_layers;
  int64_t n_kv_heads;
  int64_t head_dim;

  // Bytes a cache of `batch` rows holds per position (keys, values, visibility), saturating.
  uint64_t bytes_per_position(int64_t batch) const;
};

class kv_cache {
 public:
  // Room for `capacity` positions at first; growth stops at `max_length` when it is given (> 0),
  // unless an append needs more.
  kv_cache(const kv_cache_shape& shape, int64_t batch, int64_t capacity, int64_t max_length = 0);

  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }
  int64_t batch() const { return batch_; }

  // Claims the next n_new slots of every row, growing first if they do not fit. mask (batch,
  // n_new), 1 for a real token, 0 for padding; null means all real. Returns the position ids
  // (batch, n_new) as transformers' generate builds them: the count of real tokens before, and
  // 1 on padding. Pointers from keys/values/visible are stale after it.
  std::vector<int64_t> append(const int32_t* mask, int64_t n_new);

  // (n_kv_heads, capacity, head_dim) for one layer and row.
  tensor_view keys(int64_t layer, int64_t row) { return {keys_.data() + offset(layer, row), row_shape()}; }
  tensor_view values(int64_t layer, int64_t row) { return {values_.data() + offset(layer, row), row_shape()}; }
  // The same, read-only (a cross-attention cache that is written once).
  const float* keys(int64_t layer, int64_t row) const { return keys_.data() + offset(layer, row); }
  const float* values(int64_t layer, int64_t row) const { return values_.data() + offset(layer, row); }
  const uint8_t* visible(int64_t row) const { return visible_.data() + row * capacity_; }
  size_t bytes() const { return (keys_.size() + values_.size()) * sizeof(float) + visible_.size(); }

 private:
  size_t offset(int64_t layer, int64_t row) const {
    return size_t(((layer * batch_ + row) * shape_.n_kv_heads) * capacity_ * shape_.head_dim);
  }
  shape_t row_shape() const { return {shape_.n_kv_heads, capacity_, shape_.head_dim}; }
  void reallocate(int64_t capacity);

  kv_cache_shape shape_;
  int64_t batch_, capacity_ = 0, max_length_;
  int64_t length_ = 0;
  std::vector<float> keys_;      // (n_layers, batch, n_kv_heads, capacity, head_dim)
  std::vector<float> values_;    // same
  std::vector<uint8_t> visible_;  // (batch, capacity)
  std::vector<int64_t> next_position_;  // (batch,)
};

}  // namespace wax
