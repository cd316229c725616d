// model_type -> the file that implements it.
#include "core/error.h"
#include "models/causal_lm.h"
#include "models/llama.h"

namespace wax {

std::unique_ptr<causal_lm> causal_lm_load(std::string_view config_json, weights w, const load_options& options) {
  const json config = config_parse(config_json, "config.json");
  const config_reader reader(config, "config.json");
  const auto model_type = reader.optional_string("model_type");
  if (!model_type) reader.fail("model_type", "a string such as \"llama\"");
  if (*model_type == "llama" || *model_type == "qwen2" || *model_type == "mistral") return llama_load(reader, std::move(w), options);
  throw error(error_unsupported, "config.json: model_type '" + *model_type +
                                     "' is not supported for causal language models (supported: llama, qwen2, mistral)");
}

}  // namespace wax
