// The decoding loop over a causal_lm and its KV cache.
#pragma once

#include <cstdint>
#include <vector>

#include "models/causal_lm.h"

namespace wax {

struct generate_options {
  int64_t max_new_tokens = 20;
  std::vector<int32_t> eos_token_ids;  // a row that emits one stops; empty: never stop early
  int32_t pad_token_id = 0;            // written after a row has stopped
};

// Greedy decoding of ids (batch, seq) with mask (batch, seq) (null: no padding). Returns
// (batch, seq + n) ids: the prompt, then n <= max_new_tokens new tokens.
std::vector<int32_t> generate_greedy(const causal_lm& model, const int32_t* ids, const int32_t* mask, int64_t batch,
                                     int64_t seq, const generate_options& options);

}  // namespace wax
