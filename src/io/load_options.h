// Load options as transformers.js spells them ({"dtype": "q4"}, or per module), read once from
// the JSON the caller passes.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/tensor.h"

namespace wax {

// Whether a dtype converts the float tensor `name` of `shape` (a model family's rule; see
// models/registry.h). The default: every 2-D tensor is a matrix.
using tensor_rule = bool (*)(const std::string& name, const shape_t& shape);
bool converts_matrices(const std::string& name, const shape_t& shape);

// How weight matrices are kept after loading, in transformers.js's dtype vocabulary: "fp32"
// (as stored: F32, F16 or BF16, read in place), "fp16", "q8", "q4"; `per_module` overrides it for
// keys with that component (e.g. {"embed_tokens": "q8"}).
struct load_options {
  std::string dtype = "fp32";
  std::map<std::string, std::string> per_module;
  std::string model_type;  // the family whose `converts` rule applies, when known before loading
  tensor_rule converts = converts_matrices;

  const std::string& dtype_for(const std::string& key) const;
};

// Checks a dtype name of load_options; throws naming it otherwise.
void check_dtype_name(const std::string& dtype);

// {"dtype": "q4"} or {"dtype": {"embed_tokens": "q8", "default": "q4"}}, and optionally
// "model_type"; empty text: defaults.
load_options load_options_from_json(std::string_view options_json);

}  // namespace wax
