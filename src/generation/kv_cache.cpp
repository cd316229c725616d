#include "generation/kv_cache.h"

#include <string>

#include "core/error.h"

namespace wax {

kv_cache::kv_cache(int64_t n_layers, int64_t batch, int64_t n_kv_heads, int64_t head_dim, int64_t capacity)
    : batch_(batch), n_kv_heads_(n_kv_heads), head_dim_(head_dim), capacity_(capacity) {
  const size_t floats = size_t(n_layers * batch * n_kv_heads * capacity * head_dim);
  try {
    keys_.resize(floats);
    values_.resize(floats);
  } catch (const std::bad_alloc&) {
    throw error(error_out_of_memory, "out of memory: the KV cache for " + std::to_string(batch) + " × " +
                                         std::to_string(capacity) + " positions needs " +
                                         std::to_string(2 * floats * sizeof(float)) + " bytes");
  }
  visible_.assign(size_t(batch * capacity), 0);
  next_position_.assign(size_t(batch), 0);
}

std::vector<int64_t> kv_cache::append(const int32_t* mask, int64_t n_new) {
  if (length_ + n_new > capacity_)
    throw error(error_bad_input, "KV cache: " + std::to_string(length_ + n_new) + " positions exceed its capacity of " +
                                     std::to_string(capacity_));
  std::vector<int64_t> positions(static_cast<size_t>(batch_ * n_new));
  for (int64_t b = 0; b < batch_; ++b) {
    for (int64_t t = 0; t < n_new; ++t) {
      const bool real = !mask || mask[b * n_new + t] != 0;
      visible_[size_t(b * capacity_ + length_ + t)] = real;
      positions[size_t(b * n_new + t)] = real ? next_position_[size_t(b)]++ : 1;
    }
  }
  length_ += n_new;
  return positions;
}

}  // namespace wax
