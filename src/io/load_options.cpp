#include "io/load_options.h"

#include <algorithm>

#include "core/error.h"
#include "io/config.h"

namespace wax {

const std::string& load_options::dtype_for(const std::string& key) const {
  for (size_t start = 0; start <= key.size();) {
    const size_t end = std::min(key.find('.', start), key.size());
    auto found = per_module.find(key.substr(start, end - start));
    if (found != per_module.end()) return found->second;
    start = end + 1;
  }
  return dtype;
}

bool converts_matrices(const std::string&, const shape_t& shape) { return shape.size() == 2; }

void check_dtype_name(const std::string& dtype) {
  if (dtype != "fp32" && dtype != "auto" && dtype != "fp16" && dtype != "q8" && dtype != "q4")
    throw error(error_bad_input, "dtype '" + dtype + "' is not supported (expected fp32, fp16, q8 or q4)");
}

load_options load_options_from_json(std::string_view options_json) {
  load_options options;
  if (options_json.empty()) return options;
  const json object = config_parse(options_json, "load options");
  options.model_type = config_reader(object, "load options").string("model_type", "");
  if (!object.contains("dtype") || object["dtype"].is_null()) return options;
  const json& dtype = object["dtype"];
  if (dtype.is_string()) {
    options.dtype = dtype.get<std::string>();
  } else if (dtype.is_object()) {
    for (const auto& [module, value] : dtype.items()) {
      if (!value.is_string())
        throw error(error_bad_input, "load options: dtype for '" + module + "' must be a string, got " + json_describe(value));
      if (module == "default") options.dtype = value.get<std::string>();
      else options.per_module[module] = value.get<std::string>();
    }
  } else {
    throw error(error_bad_input, "load options: 'dtype' must be a string or an object of strings, got " + json_describe(dtype));
  }
  check_dtype_name(options.dtype);
  for (const auto& [module, value] : options.per_module) check_dtype_name(value);
  return options;
}

}  // namespace wax
