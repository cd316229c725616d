// Whisper's timestamp rules, as transformers' WhisperTimeStampLogitsProcessor (after openai/whisper
// decoding.py's ApplyTimestampRules): timestamps come in pairs (a segment's end, then the next
// one's start) except right before the end of text, never go back, the first new token is a
// timestamp no later than max_initial_timestamp_index, and a timestamp is forced when the
// timestamps together are likelier than any single text token.
#pragma once

#include <cstdint>

namespace wax {

struct timestamp_rules {
  int32_t no_timestamps_token_id;  // <|notimestamps|>; the timestamp tokens are the ids after it
  int32_t eos_token_id;            // the text tokens are the ids below it
  int64_t max_initial_timestamp_index = -1;  // generation_config.json's; -1: no bound
};

// Rewrites one row's logits (vocab,) given the ids it generated after its start ids.
void apply_timestamp_rules(float* logits, int64_t vocab, const int32_t* generated, int64_t n_generated,
                           const timestamp_rules& rules);

}  // namespace wax
