#include "models/registry.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.h"
#include "core/quantized_matrix.h"
#include "models/bert.h"
#include "models/causal_lm.h"
#include "models/llama.h"
#include "models/whisper.h"

namespace wax {
namespace {

std::vector<model_family> built_in_families() {
  return {
      {"llama", model_task::causal_lm, llama_load, llama_estimate},
      {"qwen2", model_task::causal_lm, llama_load, llama_estimate},
      {"mistral", model_task::causal_lm, llama_load, llama_estimate},
      {"bert", model_task::encoder, bert_load, bert_estimate},
      {"whisper", model_task::seq2seq, whisper_load, whisper_estimate, whisper_converts},
  };
}

const char* task_name(model_task task) {
  switch (task) {
    case model_task::causal_lm: return "causal language models";
    case model_task::encoder: return "encoders";
    case model_task::seq2seq: return "sequence-to-sequence models";
  }
  return "";
}

// Bytes per weight a dtype keeps a converted tensor in (Q8_0/Q4_0: blocks of 32 with a scale).
double converted_bytes_per_weight(const std::string& dtype) {
  if (dtype == "q8") return double(record_bytes(quant_type::q8_0)) / double(4 * quant_block);
  if (dtype == "q4") return double(record_bytes(quant_type::q4_0)) / double(4 * quant_block);
  return dtype == "fp16" ? 2.0 : 4.0;
}

}  // namespace

const model_registry& model_registry::built_in() {
  static const model_registry registry(built_in_families());
  return registry;
}

const model_family* model_registry::find(std::string_view model_type) const {
  for (const model_family& family : families_)
    if (family.model_type == model_type) return &family;
  return nullptr;
}

const model_family& model_registry::family_for(const config_reader& config, std::optional<model_task> task) const {
  const auto model_type = config.optional_string("model_type");
  const model_task example = task.value_or(model_task::causal_lm);
  if (!model_type) config.fail("model_type", example == model_task::encoder ? "a string such as \"bert\"" : "a string such as \"llama\"");
  const model_family* family = find(*model_type);
  if (family && (!task || family->task == *task)) return *family;
  std::string supported;
  for (const model_family& known : families_)
    if (!task || known.task == *task) supported += (supported.empty() ? "" : ", ") + std::string(known.model_type);
  throw error(error_unsupported, config.file_name() + ": model_type '" + *model_type + "' is not supported" +
                                     (task ? std::string(" for ") + task_name(*task) : std::string()) + " (supported: " +
                                     supported + ")");
}

load_options model_registry::load_options_for(std::string_view options_json) const {
  load_options options = load_options_from_json(options_json);
  if (options.model_type.empty()) return options;
  const model_family* family = find(options.model_type);
  if (!family)
    throw error(error_unsupported, "load options: model_type '" + options.model_type + "' is not supported");
  options.converts = family->converts;
  return options;
}

std::unique_ptr<loaded_model> model_registry::load(std::string_view config_json, weights w, const load_options& options,
                                                   std::optional<model_task> task, std::string_view generation_config_json) const {
  json config = config_parse(config_json, "config.json");
  json generation_config = generation_config_json.empty() ? json::object()
                                                          : json_parse(generation_config_json, "generation_config.json", error_bad_config);
  const config_reader reader(config, "config.json");
  std::unique_ptr<loaded_model> model = family_for(reader, task).load(reader, std::move(w), options);
  model->keep_settings(std::move(config), std::move(generation_config));
  return model;
}

std::unique_ptr<causal_lm> causal_lm_load(std::string_view config_json, weights w, const load_options& options) {
  return std::unique_ptr<causal_lm>(static_cast<causal_lm*>(model_load(config_json, std::move(w), options, model_task::causal_lm).release()));
}

std::unique_ptr<encoder_model> encoder_load(std::string_view config_json, weights w, const load_options& options) {
  return std::unique_ptr<encoder_model>(static_cast<encoder_model*>(model_load(config_json, std::move(w), options, model_task::encoder).release()));
}

int64_t estimate_length(int64_t asked, int64_t max_positions) {
  return asked > 0 ? asked : std::min<int64_t>(max_positions, default_estimate_length);
}

std::string model_registry::estimate(std::string_view config_json, std::string_view request_json) const {
  const json config = config_parse(config_json, "config.json");
  const config_reader root(config, "config.json");
  const std::optional<config_reader> text = root.optional_object("text_config");
  const config_reader& reader = text ? *text : root;
  const model_family& family = family_for(reader, std::nullopt);

  const json request = config_parse(request_json, "the estimate's options");
  const config_reader asked(request, "the estimate's options");
  load_options options = load_options_from_json(request_json);
  const activation_estimate activations = family.estimate(reader, asked.positive_int("max_length", 0));

  // fp32 keeps the checkpoint as stored; any other dtype converts the family's float matrices.
  bool converting = options.dtype != "fp32" && options.dtype != "auto";
  for (const auto& [module, dtype] : options.per_module) converting |= dtype != "fp32" && dtype != "auto";
  double file_bytes = 0, kept_bytes = 0, largest_tensor_bytes = 0;
  if (request.contains("files") && !request["files"].is_array())
    throw error(error_bad_input, "the estimate's options: 'files' must be an array, got " + json_describe(request["files"]));
  for (const json& file : request.value("files", json::array())) {
    file_bytes += file.value("size", 0.0);
    const json tensors = file.value("tensors", json::object());
    for (const auto& [name, tensor] : tensors.items()) {
      const auto offsets = tensor.value("data_offsets", std::vector<double>{0, 0});
      const double stored = offsets.size() == 2 ? offsets[1] - offsets[0] : 0;
      largest_tensor_bytes = std::max(largest_tensor_bytes, stored);
      const shape_t shape = tensor.value("shape", shape_t{});
      const auto type = dtype_from_name(tensor.value("dtype", std::string()));
      const bool is_float = type == dtype::f32 || type == dtype::f16 || type == dtype::bf16;
      const std::string& target = options.dtype_for(name);
      if (!is_float || !family.converts(name, shape) || target == "fp32" || target == "auto") {
        kept_bytes += stored;
        continue;
      }
      double numel = 1;
      for (int64_t dim : shape) numel *= double(dim);
      kept_bytes += std::ceil(numel * converted_bytes_per_weight(target));
    }
  }
  return json{{"file_bytes", file_bytes},
              {"weight_bytes", converting ? kept_bytes : file_bytes},
              {"converts", converting},
              {"largest_tensor_bytes", largest_tensor_bytes},
              {"max_length", activations.max_length},
              {"kv_cache_bytes", activations.kv_cache_bytes},
              {"working_bytes", activations.working_bytes}}
      .dump();
}

}  // namespace wax
