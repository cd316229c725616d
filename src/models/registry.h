// The one table of model families: config.json's `model_type` → the family's loader, its memory
// estimate, and which of its tensors a dtype converts. Adding a family is adding a line to it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/config.h"
#include "io/load_options.h"
#include "io/weights.h"
#include "models/loaded_model.h"

namespace wax {

// The interface a family's models offer callers (models/causal_lm.h, models/encoder.h,
// models/seq2seq.h), each running its forwards as jobs (models/job.h).
enum class model_task { causal_lm, encoder, seq2seq };

// What a forward over `max_length` positions holds besides the weights, in bytes.
struct activation_estimate {
  int64_t max_length = 0;    // the one asked for, or the family's default when 0 was
  double kv_cache_bytes = 0;  // the cache for max_length positions (0 for encoders)
  double working_bytes = 0;   // activations, scores and logits of one forward over max_length
};

// The positions an estimate plans for when the caller names none: the model's, at most this.
inline constexpr int64_t default_estimate_length = 2048;
int64_t estimate_length(int64_t asked, int64_t max_positions);

struct model_family {
  std::string_view model_type;  // as config.json spells it
  model_task task;
  std::unique_ptr<loaded_model> (*load)(const config_reader& config, weights w, const load_options& options);
  // Reads config.json with the load's own checks; max_length 0: the family's default.
  activation_estimate (*estimate)(const config_reader& config, int64_t max_length);
  // Whether a dtype (fp16, q8, q4) converts this float tensor: the family's matrices, never a
  // 2-D table that its model reads as plain floats (Whisper's embed_positions, SAM's rel_pos_*).
  tensor_rule converts = converts_matrices;
};

// A table of families: model_registry::built_in() holds src/models' own (what every load uses);
// a test builds one with a family of its own.
class model_registry {
 public:
  explicit model_registry(std::vector<model_family> families) : families_(std::move(families)) {}
  static const model_registry& built_in();

  // The family config.json names (offering `task`, when given); throws WAX_UNSUPPORTED naming the
  // model_type and the ones supported.
  const model_family& family_for(const config_reader& config, std::optional<model_task> task) const;

  // Load options from JSON ({"dtype": ..., "model_type": ...}) with the rule of that model_type's
  // family, for files streamed in before config.json reaches a loader.
  load_options load_options_for(std::string_view options_json) const;

  // Loads config.json's model as `task` (none: the task its family offers), keeping config.json
  // and generation_config.json (empty: none) on it (loaded_model::config, generation_config);
  // throws naming the file, field or tensor that does not fit.
  std::unique_ptr<loaded_model> load(std::string_view config_json, weights w, const load_options& options,
                                     std::optional<model_task> task, std::string_view generation_config_json = "") const;

  // What loading config.json's model with `request_json` needs, from the safetensors headers
  // alone: {"dtype": ..., "max_length": n (optional), "files": [{"size": bytes, "tensors": {name:
  // {"dtype", "shape", "data_offsets"}}}]} → {"file_bytes", "weight_bytes" (kept after load,
  // converted ones at their dtype), "converts" (whether any tensor is converted),
  // "largest_tensor_bytes", "max_length", "kv_cache_bytes", "working_bytes"} as JSON. A
  // config.json with a `text_config` is estimated by it. Throws naming the config.json field or
  // the option that is wrong.
  std::string estimate(std::string_view config_json, std::string_view request_json) const;

 private:
  const model_family* find(std::string_view model_type) const;
  std::vector<model_family> families_;
};

// The built-in registry's answers (model_registry), as the api and the tests call them.
inline const model_family& model_family_for(const config_reader& config, std::optional<model_task> task) {
  return model_registry::built_in().family_for(config, task);
}
inline load_options model_load_options(std::string_view options_json) {
  return model_registry::built_in().load_options_for(options_json);
}
inline std::unique_ptr<loaded_model> model_load(std::string_view config_json, weights w, const load_options& options,
                                                std::optional<model_task> task, std::string_view generation_config_json = "") {
  return model_registry::built_in().load(config_json, std::move(w), options, task, generation_config_json);
}
inline std::string model_estimate(std::string_view config_json, std::string_view request_json) {
  return model_registry::built_in().estimate(config_json, request_json);
}

}  // namespace wax
