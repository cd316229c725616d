// Generation for sequence-to-sequence models (Whisper): the encoder runs first, in steps, then
// the one decoding loop of generation/generate.h drives the decoder bound to its output.
#pragma once

#include <memory>

#include "models/job.h"
#include "models/seq2seq.h"

namespace wax {

// The "generate" job over `model`: inputs input_features (batch, features, frames) float32 (or
// encoder_hidden_states) and optional decoder_input_ids (batch, n) int32, the start of every row;
// without them each row starts from decoder_start_token_id alone (generation_config.json's, else
// config.json's). Options as generate_job_new's, and return_timestamps (the call's, else
// generation_config.json's): Whisper's timestamp rules (generation/whisper_timestamps.h) from
// generation_config.json's no_timestamps_token_id and max_initial_timestamp_index.
// return_token_timestamps records the cross-attention of generation_config.json's
// alignment_heads and, with the last tokens, gives "token_timestamps" (batch, sequence length)
// float32: each token's start in seconds (generation/token_timestamps.h), over the audio's
// num_frames mel frames (default: input_features'), time_precision 0.02 s a position. Steps: the encoder's stem and layers, each
// decoder layer's cross-attention keys and values, then the generation's (output "tokens", as
// there). info() adds "decoder_input_ids", the start ids as a flat list. Throws WAX_BAD_INPUT
// naming the input, or max_new_tokens when the start and the new tokens pass
// max_target_positions.
std::unique_ptr<job> seq2seq_generate_job_new(const seq2seq_model& model, const job_request& request);

}  // namespace wax
