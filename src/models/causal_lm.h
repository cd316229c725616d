// What every decoder-only language model offers the generation loop and the bindings.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "generation/kv_cache.h"
#include "io/weights.h"

namespace wax {

enum class logits_for { all_positions, last_position };

class causal_lm {
 public:
  virtual ~causal_lm() = default;

  virtual int64_t vocab_size() const = 0;
  virtual size_t weight_bytes() const = 0;
  virtual kv_cache new_cache(int64_t batch, int64_t capacity) const = 0;

  // Runs ids (batch, n_new) after what `cache` already holds, appending their keys and values.
  // mask (batch, n_new) marks padding with 0 (null: none). logits: (batch, n_new, vocab) for
  // all_positions, (batch, vocab) for last_position.
  virtual void forward(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new, kv_cache& cache,
                       logits_for which, float* logits) const = 0;
};

// Builds the model config.json names (by `model_type`) over `w`; throws naming the field or
// tensor that does not fit.
std::unique_ptr<causal_lm> causal_lm_load(std::string_view config_json, weights w);

}  // namespace wax
