// The C++ surface that the wasm bindings and native programs call: models loaded by the registry,
// the jobs they run, and tokenizers. It owns the task table: "forward" and "embed" are the
// family's own jobs (models/), "generate" is the decoding loop over a causal LM (generation/), so
// models never depend on generation.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/tensor.h"
#include "io/weights.h"
#include "models/job.h"
#include "models/loaded_model.h"
#include "tokenizers/decode_stream.h"
#include "tokenizers/tokenizer.h"

namespace wax::api {

// config.json's model with its weights (consumed; a file streamed in must have come whole) and load
// options as JSON ({"dtype": ...}; empty: none), as `task` ("causal_lm" or "encoder"; empty: the
// one its family offers), with generation_config.json's text (empty: none), which its generations
// start from; throws naming the file, field or tensor that does not fit, or the model types that
// run `task`.
std::unique_ptr<loaded_model> model_load(std::string_view config_json, weights w, std::string_view options_json,
                                         std::string_view task = "", std::string_view generation_config_json = "");

// Starts streaming a safetensors file into `w` (weights::begin_file) with load options as JSON
// ({"dtype", "model_type"}), under the rule of that model_type's family for which tensors convert.
void weights_begin_file(weights& w, const std::string& file_name, const std::byte* head, size_t head_size,
                        uint64_t file_size, std::string_view options_json);

// A safetensors file's header, checked (io/safetensors.h safetensors_read_header), as the table the
// loader plans with: {"data_bytes": where the last tensor ends, "tensors": {name: {"dtype",
// "shape", "data_offsets"}}}.
std::string safetensors_header_table(const std::string& file_name, const std::byte* prefix, uint64_t prefix_size,
                                     std::optional<uint64_t> file_size);

// What loading config.json's model needs, from the safetensors headers alone (models/registry.h
// model_estimate), as JSON.
std::string model_estimate(std::string_view config_json, std::string_view request_json);

// A job of request.task over `model`, which must outlive it; throws WAX_BAD_INPUT naming a task
// the model does not run or an input that does not fit.
std::unique_ptr<job> job_new(const loaded_model& model, const job_request& request);

// tokenizer.json (+ tokenizer_config.json, may be empty).
tokenizer tokenizer_load(std::string_view tokenizer_json, std::string_view tokenizer_config_json);

// Text in, text out: `prompt` encoded with special tokens, a "generate" job run to its end with
// `options_json` (transformers' generate names) over the model's generation_config.json, the
// prompt and its continuation decoded without special tokens.
std::string generate_text(const loaded_model& model, const tokenizer& t, std::string_view prompt,
                          std::string_view options_json);

// Whisper's log-mel input features (audio/log_mel.h) of `n` mono samples at the rate that
// preprocessor_config.json's text gives: (feature_size, frames), 3000 frames for 30 s windows.
// Throws WAX_BAD_CONFIG naming a field, or WAX_BAD_INPUT for empty audio or a NaN/infinite sample.
tensor audio_features(std::string_view preprocessor_config_json, const float* samples, int64_t n);

}  // namespace wax::api
