#include "api.h"

#include <algorithm>

#include "audio/log_mel.h"
#include "core/error.h"
#include "generation/generate.h"
#include "generation/seq2seq_generate.h"
#include "io/load_options.h"
#include "io/safetensors.h"
#include "models/causal_lm.h"
#include "models/registry.h"
#include "models/seq2seq.h"

namespace wax::api {

std::unique_ptr<loaded_model> model_load(std::string_view config_json, weights w, std::string_view options_json,
                                         std::string_view task, std::string_view generation_config_json) {
  std::optional<model_task> wanted;
  if (task == "causal_lm") wanted = model_task::causal_lm;
  else if (task == "encoder") wanted = model_task::encoder;
  else if (task == "seq2seq") wanted = model_task::seq2seq;
  else if (!task.empty())
    throw error(error_bad_input, "model task: expected causal_lm, encoder or seq2seq, got '" + std::string(task) + "'");
  w.check_complete();
  return wax::model_load(config_json, std::move(w), load_options_from_json(options_json), wanted, generation_config_json);
}

std::string safetensors_header_table(const std::string& file_name, const std::byte* prefix, uint64_t prefix_size,
                                     std::optional<uint64_t> file_size) {
  const safetensors_header header = safetensors_read_header(prefix, prefix_size, file_size, file_name);
  json tensors = json::object();
  uint64_t data_bytes = 0;
  for (const safetensors_entry& entry : header.entries) {
    tensors[entry.name] = {{"dtype", dtype_name(entry.type)}, {"shape", entry.shape}, {"data_offsets", {entry.begin, entry.end}}};
    data_bytes = std::max(data_bytes, entry.end);
  }
  return json{{"data_bytes", data_bytes}, {"tensors", tensors}}.dump();
}

void weights_begin_file(weights& w, const std::string& file_name, const std::byte* head, size_t head_size,
                        uint64_t file_size, std::string_view options_json) {
  w.begin_file(file_name, head, head_size, file_size, model_load_options(options_json));
}

std::string model_estimate(std::string_view config_json, std::string_view request_json) {
  return wax::model_estimate(config_json, request_json);
}

std::unique_ptr<job> job_new(const loaded_model& model, const job_request& request) {
  if (request.task != "generate") return model.new_job(request);
  if (const auto* language_model = dynamic_cast<const causal_lm*>(&model)) return generate_job_new(*language_model, request);
  if (const auto* seq2seq = dynamic_cast<const seq2seq_model*>(&model)) return seq2seq_generate_job_new(*seq2seq, request);
  throw error(error_bad_input,
              "this model runs no task 'generate': only causal language models and sequence-to-sequence models generate");
}

tokenizer tokenizer_load(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
  return tokenizer::from_json(tokenizer_json, tokenizer_config_json);
}

std::string generate_text(const loaded_model& model, const tokenizer& t, std::string_view prompt,
                          std::string_view options_json) {
  std::vector<int32_t> ids = t.encode(prompt, true).ids;
  const job_request request{"generate", {{"input_ids", "int32", {1, int64_t(ids.size())}, ids.data()}},
                            config_parse(options_json.empty() ? "{}" : options_json, "generation options")};
  const std::unique_ptr<job> generation = job_new(model, request);
  for (bool more = true; more;) {
    if (!generation->step()) continue;
    const job_output_view tokens = generation->output_views().at(0);
    const auto* new_ids = static_cast<const int32_t*>(tokens.data);
    ids.insert(ids.end(), new_ids, new_ids + tokens.dims[1]);
    more = generation->has_more();
  }
  return t.decode(ids, true);
}

tensor audio_features(std::string_view preprocessor_config_json, const float* samples, int64_t n) {
  return log_mel_spectrogram(whisper_feature_config::from_json(preprocessor_config_json))(samples, n);
}

}  // namespace wax::api
