#include "io/config.h"

#include <cmath>

#include "core/error.h"

namespace wax {

std::string json_describe(const json& value) {
  if (value.is_array()) return "an array of " + std::to_string(value.size()) + " elements";
  if (value.is_object()) return "an object of " + std::to_string(value.size()) + " fields";
  std::string text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

json config_parse(std::string_view text, const std::string& file_name) {
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw error(error_bad_config, file_name + ": not valid JSON");
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
  throw error(error_bad_config, file_name_ + ": '" + field + "' expected " + expected + ", got " +
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

std::optional<config_reader> config_reader::optional_object(const std::string& field) const {
  const json* value = find(field);
  if (!value) return std::nullopt;
  if (!value->is_object()) fail(field, "an object");
  return config_reader(*value, file_name_ + " '" + field + "'");
}

}  // namespace wax
