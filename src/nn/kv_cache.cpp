#include "nn/kv_cache.h"

#include <algorithm>
#include <string>

#include "core/error.h"
#include "core/sizes.h"

namespace wax {

uint64_t kv_cache_shape::bytes_per_position(int64_t batch) const {
  const uint64_t floats = saturating_product({2, uint64_t(n_layers), uint64_t(batch), uint64_t(n_kv_heads), uint64_t(head_dim)});
  return saturating_product({floats, sizeof(float)}) + uint64_t(batch);
}

kv_cache::kv_cache(const kv_cache_shape& shape, int64_t batch, int64_t capacity, int64_t max_length)
    : shape_(shape), batch_(batch), max_length_(max_length), next_position_(size_t(batch), 0) {
  reallocate(capacity);
}

void kv_cache::reallocate(int64_t capacity) {
  const std::string what = "the KV cache for " + std::to_string(batch_) + " × " + std::to_string(capacity) + " positions";
  // Keys and values together count against the heap, hence the 2.
  const size_t floats = checked_elements({2, shape_.n_layers, batch_, shape_.n_kv_heads, capacity, shape_.head_dim},
                                         sizeof(float), what) / 2;
  std::vector<float> keys, values;
  std::vector<uint8_t> visible;
  try {
    keys.resize(floats);
    values.resize(floats);
    visible.resize(size_t(batch_ * capacity));
  } catch (const std::bad_alloc&) {
    throw error(error_out_of_memory, "out of memory: " + what + " needs " + format_bytes(2 * floats * sizeof(float)));
  }
  // Each (layer, row, head) block keeps its first length_ positions at the same place.
  const int64_t blocks = shape_.n_layers * batch_ * shape_.n_kv_heads;
  for (int64_t block = 0; block < blocks && length_ > 0; ++block) {
    const int64_t from = block * capacity_ * shape_.head_dim, to = block * capacity * shape_.head_dim;
    std::copy_n(keys_.begin() + from, length_ * shape_.head_dim, keys.begin() + to);
    std::copy_n(values_.begin() + from, length_ * shape_.head_dim, values.begin() + to);
  }
  for (int64_t b = 0; b < batch_ && length_ > 0; ++b)
    std::copy_n(visible_.begin() + b * capacity_, length_, visible.begin() + b * capacity);
  keys_ = std::move(keys);
  values_ = std::move(values);
  visible_ = std::move(visible);
  capacity_ = capacity;
}

std::vector<int64_t> kv_cache::append(const int32_t* mask, int64_t n_new) {
  const int64_t needed = length_ + n_new;
  if (needed > capacity_) {
    int64_t grown = std::max<int64_t>(2 * capacity_, 16);
    if (max_length_ > 0) grown = std::min(grown, max_length_);
    reallocate(std::max(grown, needed));
  }
  std::vector<int64_t> positions(static_cast<size_t>(batch_ * n_new));
  for (int64_t b = 0; b < batch_; ++b) {
    for (int64_t t = 0; t < n_new; ++t) {
      const bool real = !mask || mask[b * n_new + t] != 0;
      visible_[size_t(b * capacity_ + length_ + t)] = real;
      positions[size_t(b * n_new + t)] = real ? next_position_[size_t(b)]++ : 1;
    }
  }
  length_ = needed;
  return positions;
}

}  // namespace wax
