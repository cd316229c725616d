#include "io/config.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace wax {

std::string json_describe(const json& value) {
  if (value.is_array()) return "an array of " + std::to_string(value.size()) + " elements";
  if (value.is_object()) return "an object of " + std::to_string(value.size()) + " fields";
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

json json_parse(std::string_view text, const std::string& where, const char* code) {
  // nlohmann's parser itself is iterative; the depth it reports stops what reads the tree.
  bool too_deep = false;
  const json::parser_callback_t bounded = [&](int depth, json::parse_event_t event, json&) {
    const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && depth >= json_max_depth) too_deep = true;
    return !too_deep;
  };
  json parsed;
  try {
    parsed = json::parse(text.begin(), text.end(), bounded);
  } catch (const json::parse_error& e) {
    // what(): "[json.exception.parse_error.101] parse error at line 1, column 9: <what is wrong>"
    std::string reason = e.what();
    reason = reason.substr(std::min(reason.find("parse error"), reason.size()));
    if (reason.size() > 240) reason = reason.substr(0, 237) + "...";  // "last read" can quote a whole string
    throw error(code, where + ": not valid JSON (byte " + std::to_string(e.byte) + "): " + reason);
  } catch (const json::out_of_range& e) {
    // A number past double's range, such as 1e999: "[json.exception.out_of_range.406] number overflow parsing '1e999'"
    const std::string reason = e.what();
    throw error(code, where + ": not valid JSON for wax: " + reason.substr(std::min(reason.find("number"), reason.size())));
  }
  if (too_deep)
    throw error(code, where + ": arrays and objects nested more than " + std::to_string(json_max_depth) +
                          " levels deep; wax reads at most that (real files nest under 10)");
  return parsed;
}

json config_parse(std::string_view text, const std::string& file_name) {
  json parsed = json_parse(text, file_name, error_bad_config);
  if (!parsed.is_object())
    throw error(error_bad_config, file_name + ": expected a JSON object, got " + std::string(parsed.type_name()));
  return parsed;
}

const json* config_reader::find(const std::string& field) const {
  auto found = object_->find(field);
  if (found == object_->end() || found->is_null()) return nullptr;
  return &*found;
}

void config_reader::fail(const std::string& field, const std::string& expected) const {
  const json* value = find(field);
  throw error(code_, file_name_ + ": '" + field + "' expected " + expected + ", got " +
                                    (value ? json_describe(*value) : std::string("nothing")));
}

std::optional<int64_t> config_reader::optional_int(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (value->is_number_integer()) return value->get<int64_t>();
  // Some writers store integers as 32.0. Range first: casting 7e66 to int64 is undefined
  // (found by tests/fuzz/fuzz_config.cpp).
  if (value->is_number_float()) {
    const double number = value->get<double>();
    if (number >= -0x1p63 && number < 0x1p63 && number == std::trunc(number)) return int64_t(number);
  }
  fail(field, "an integer");
}

std::optional<double> config_reader::optional_number(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (!value->is_number()) fail(field, "a number");
  return value->get<double>();
}

std::optional<bool> config_reader::optional_bool(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (!value->is_boolean()) fail(field, "true or false");
  return value->get<bool>();
}

std::optional<std::string> config_reader::optional_string(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (!value->is_string()) fail(field, "a string");
  return value->get<std::string>();
}

int64_t config_reader::positive_int(const std::string& field) const {
  auto value = optional_int(field);
  if (!value || *value <= 0) fail(field, "a positive integer");
  return *value;
}

int64_t config_reader::positive_int(const std::string& field, int64_t fallback) const {
  auto value = optional_int(field);
  if (!value) return fallback;
  if (*value <= 0) fail(field, "a positive integer");
  return *value;
}

double config_reader::positive_number(const std::string& field, double fallback) const {
  auto value = optional_number(field);
  if (!value) return fallback;
  if (!(*value > 0)) fail(field, "a positive number");
  return *value;
}

int64_t config_reader::dimension(const std::string& field) const {
  if (!find(field)) fail(field, "a positive integer of at most " + std::to_string(max_dimension));
  return dimension(field, 0);
}

// Any wrong value (a string, 12.5, 1e300, 0) gets the one message that says what fits.
int64_t config_reader::dimension(const std::string& field, int64_t fallback) const {
  const json* value = find(field);
  if (!value) return fallback;
  const double number = value->is_number() ? value->get<double>() : 0;
  if (!value->is_number() || number < 1 || number > double(max_dimension) || number != std::trunc(number))
    fail(field, "a positive integer of at most " + std::to_string(max_dimension));
  return int64_t(number);
}

std::optional<config_reader> config_reader::optional_object(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (!value->is_object()) fail(field, "an object");
  return config_reader(*value, file_name_ + " '" + field + "'", code_);
}

}  // namespace wax
