// Load options as transformers.js spells them ({"dtype": "q4"}, or per module), read once from
// the JSON the caller passes.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace wax {

// How weight matrices are kept after loading, in transformers.js's dtype vocabulary: "fp32"
// (as stored: F32, F16 or BF16, read in place), "fp16", "q8", "q4"; `per_module` overrides it for
// keys with that component (e.g. {"embed_tokens": "q8"}).
struct load_options {
  std::string dtype = "fp32";
  std::map<std::string, std::string> per_module;

  const std::string& dtype_for(const std::string& key) const;
};

// Checks a dtype name of load_options; throws naming it otherwise.
void check_dtype_name(const std::string& dtype);

// {"dtype": "q4"} or {"dtype": {"embed_tokens": "q8", "default": "q4"}}; empty text: defaults.
load_options load_options_from_json(std::string_view options_json);

}  // namespace wax
