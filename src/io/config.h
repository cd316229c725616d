// Reading config.json fields with errors that name the file, the field, the expected and the
// actual value (nlohmann's own type errors name neither the file nor the field).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace wax {

using json = nlohmann::json;

// A value for an error message: scalars as JSON (cut to 80 characters), arrays and objects by
// their type only (dumping them recurses, and a hostile file can nest them 100,000 deep).
std::string json_describe(const json& value);

// Parses `text` as a JSON object; throws naming `file_name` otherwise.
json config_parse(std::string_view text, const std::string& file_name);

class config_reader {
 public:
  config_reader(const json& object, std::string file_name) : object_(&object), file_name_(std::move(file_name)) {}

  // An absent or null field gives std::nullopt; a field of the wrong type throws.
  std::optional<int64_t> optional_int(const std::string& field) const;
  std::optional<double> optional_number(const std::string& field) const;
  std::optional<bool> optional_bool(const std::string& field) const;
  std::optional<std::string> optional_string(const std::string& field) const;

  int64_t positive_int(const std::string& field) const;  // required, > 0
  int64_t positive_int(const std::string& field, int64_t fallback) const;
  double positive_number(const std::string& field, double fallback) const;
  bool boolean(const std::string& field, bool fallback) const { return optional_bool(field).value_or(fallback); }
  std::string string(const std::string& field, const std::string& fallback) const {
    return optional_string(field).value_or(fallback);
  }

  // A nested object (or nullopt when absent/null), read with the same error reporting.
  std::optional<config_reader> optional_object(const std::string& field) const;

  [[noreturn]] void fail(const std::string& field, const std::string& expected) const;
  const std::string& file_name() const { return file_name_; }

 private:
  const json* find(const std::string& field) const;
  const json* object_;
  std::string file_name_;
};

}  // namespace wax
