// Reading config.json fields with errors that name the file, the field, the expected and the
// actual value (nlohmann's own type errors name neither the file nor the field).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace wax {

using json = nlohmann::json;

// A value for an error message: scalars as JSON (cut to 80 characters), arrays and objects by
// their type only (dumping them recurses, and a hostile file can nest them 100,000 deep).
std::string json_describe(const json& value);

// Nesting deeper than this is refused while parsing: every reader of our JSON files recurses
// with the nesting (a tokenizer's Sequence of Sequences), and the wasm stack is 1 MiB. Real files
// nest under 10 levels.
inline constexpr int json_max_depth = 64;

// Parses JSON text from a file we do not trust; throws `code` naming `where` (the file, and the
// part of it), the line, column and byte of a syntax error and what is wrong there, or the limit.
json json_parse(std::string_view text, const std::string& where, const char* code);

// Parses `text` as a JSON object; throws WAX_BAD_CONFIG naming `file_name` otherwise.
json config_parse(std::string_view text, const std::string& file_name);

// Far above any published model's sizes: a corrupt or hostile config.json fails naming the field
// instead of sizing tables and buffers from it (found by tests/fuzz/fuzz_config.cpp).
inline constexpr int64_t max_dimension = int64_t(1) << 24;

class config_reader {
 public:
  // `code`: what a bad field throws (a request built by the caller is WAX_BAD_INPUT, not a bad file).
  config_reader(const json& object, std::string file_name, const char* code = error_bad_config)
      : object_(&object), file_name_(std::move(file_name)), code_(code) {}

  // An absent or null field gives std::nullopt; a field of the wrong type throws.
  std::optional<int64_t> optional_int(const std::string& field) const;
  std::optional<double> optional_number(const std::string& field) const;
  std::optional<bool> optional_bool(const std::string& field) const;
  std::optional<std::string> optional_string(const std::string& field) const;

  int64_t positive_int(const std::string& field) const;  // required, > 0
  int64_t positive_int(const std::string& field, int64_t fallback) const;
  double positive_number(const std::string& field, double fallback) const;
  // A model dimension: a positive integer of at most max_dimension.
  int64_t dimension(const std::string& field) const;
  int64_t dimension(const std::string& field, int64_t fallback) const;
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
  const char* code_;
};

}  // namespace wax
