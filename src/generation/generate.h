// The decoding loop over a token decoder (a causal LM, or a sequence-to-sequence model's decoder
// bound to its encoder output) and its KV cache, one step at a time so that callers can
// stream tokens and stop between layers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "generation/sampling.h"
#include "models/causal_lm.h"
#include "models/decoder.h"
#include "models/job.h"

namespace wax {

// Prompt positions per forward pass: bounds the work of one step, so aborts land quickly.
inline constexpr int64_t prefill_chunk = 128;

struct generate_options {
  int64_t max_new_tokens = 20;
  // The longest sequence, prompt (or decoder start ids) included, when max_new_tokens is not given
  // (transformers' max_length, as Whisper's generation_config.json sets it); the generator turns it
  // into max_new_tokens once it knows the prompt's length.
  std::optional<int64_t> max_length;
  std::vector<int32_t> eos_token_ids;  // a row that emits one stops; empty: never stop early
  int32_t pad_token_id = 0;            // written after a row has stopped
  sampling_options sampling;
};

// Reads the options from JSON with the names transformers' generate uses: max_new_tokens (or
// max_length, read only when max_new_tokens is absent, as transformers does), eos_token_id (number or list), pad_token_id, do_sample, temperature, top_k, top_p, min_p,
// repetition_penalty, suppress_tokens, begin_suppress_tokens, forced_decoder_ids, seed. Absent
// fields keep their defaults; bad ones (a wrong type, a negative token id, a number out of range)
// throw naming the field.
generate_options generate_options_from_json(std::string_view options_json);

// A generate request's options, merged once here: the call's fields (a null one means the default,
// not the file's) over `generation_config` (generation_config.json's values, each checked here as
// it is used: WAX_BAD_CONFIG naming the file and the field, so a call that overrides a bad value
// is not in its way) over transformers' defaults: top_k 50 when sampling (0 otherwise),
// eos_token_id from `model_config` (config.json; none: never stop early), pad_token_id from
// config.json or else the first eos id or 0, a random seed.
generate_options generate_options_from_request(const json& call, const json& generation_config, const json& model_config);

class generator {
 public:
  // ids, mask (batch, seq); mask null: no padding. The model must outlive the generator. Throws
  // WAX_BAD_INPUT for an empty batch or prompt, or max_new_tokens above the model's
  // max_position_embeddings (prompt + new tokens may pass it: callers warn); WAX_TOO_LARGE when
  // the KV cache for seq + max_new_tokens could never fit in wasm32 (it grows as tokens come).
  generator(const token_decoder& model, const int32_t* ids, const int32_t* mask, int64_t batch, int64_t seq,
            generate_options options);

  enum class step_result { layer_done, tokens_ready, finished };

  // One decoder layer of work over at most prefill_chunk prompt positions (a long prompt runs in
  // chunks, which the KV cache makes exact), or over the newest token. After the last layer of a pass the next tokens are chosen
  // (tokens_ready, see last_tokens); finished once every row has stopped or max_new_tokens
  // tokens were made.
  step_result step();

  const std::vector<int32_t>& last_tokens() const { return last_tokens_; }  // (batch,)
  int64_t new_tokens() const { return new_tokens_; }
  bool finished() const { return done_; }
  const generate_options& options() const { return options_; }
  size_t cache_bytes() const { return cache_.bytes(); }  // what the cache holds now
  // (batch, seq + new_tokens()): the prompts and what followed.
  std::vector<int32_t> sequences() const;

 private:
  void choose_next_tokens();

  void begin_prompt_chunk();

  const token_decoder* model_;
  generate_options options_;
  int64_t batch_;
  int64_t seq_;
  std::vector<int32_t> prompt_ids_;   // (batch, seq)
  std::vector<int32_t> prompt_mask_;  // (batch, seq), empty: no padding
  int64_t prompt_done_ = 0;           // prompt positions already in a pass
  kv_cache cache_;
  std::optional<forward_pass> pass_;
  std::vector<std::vector<int32_t>> rows_;   // each row's ids so far
  std::vector<std::vector<int32_t>> history_;  // each row's real (unpadded) ids, for the repetition penalty
  std::vector<bool> finished_;
  std::vector<int32_t> last_tokens_;
  std::vector<float> logits_;  // (batch, vocab)
  logits_processors processors_;
  pcg32 random_;
  int64_t new_tokens_ = 0;
  bool done_ = false;
};

// The "generate" job (models/job.h) over `model`: inputs input_ids (batch, seq) and an optional
// attention_mask, options as generate_options_from_request merges them over the model's
// generation_config.json and config.json (loaded_model::generation_config, config). A step is a generator step;
// once new tokens are ready the output "tokens" is (batch, 1) int32 (the generator's, at the same
// address for the job's life), (batch, 0) when max_new_tokens is 0, and has_more() says whether
// more will come. held_bytes() is the KV cache; info() adds the max_new_tokens and eos_token_id
// settled on.
std::unique_ptr<job> generate_job_new(const causal_lm& model, const job_request& request);
// The same job over any token decoder, from start ids (batch, seq) and an optional mask, with
// options already merged; the decoder must outlive it.
std::unique_ptr<job> generate_job_over(const token_decoder& decoder, const job_input& ids, const job_input* mask,
                                       generate_options options);

// Runs a generator to the end: (batch, seq + n) ids.
std::vector<int32_t> generate(const token_decoder& model, const int32_t* ids, const int32_t* mask, int64_t batch,
                              int64_t seq, const generate_options& options);

}  // namespace wax
