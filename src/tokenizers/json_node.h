// A value of tokenizer.json together with its path ('model.merges[3]'), so that every error
// names the file, the field, what was expected and what was found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace wax {

class json_node {
 public:
  // `value` is null for an absent field.
  json_node(const nlohmann::json* value, std::string path, std::string file)
      : value_(value), path_(std::move(path)), file_(std::move(file)) {}

  const nlohmann::json& value() const { return *value_; }  // only for present nodes
  const std::string& path() const { return path_; }
  bool is_null() const { return !value_ || value_->is_null(); }

  // Object fields; an absent field and a null one are the same.
  bool has(std::string_view key) const;
  std::optional<json_node> find(std::string_view key) const;
  json_node at(std::string_view key) const;  // required
  json_node child(std::string_view key) const;  // may be null
  // Array elements (the node must be an array).
  size_t size() const;
  json_node at(size_t index) const;
  std::vector<json_node> elements() const;

  std::string string() const;
  int64_t integer() const;
  bool boolean() const;
  std::string string(std::string_view key, const std::string& fallback) const;
  bool boolean(std::string_view key, bool fallback) const;
  int64_t integer(std::string_view key, int64_t fallback) const;
  std::optional<std::string> optional_string(std::string_view key) const;

  // `type` of a component; `kind` names it in the error ("model", "normalizer").
  std::string type(const std::string& kind) const;

  [[noreturn]] void fail(const std::string& expected) const;       // WAX_BAD_TOKENIZER
  [[noreturn]] void fail_unknown(const std::string& kind, const std::string& name, const std::string& known) const;
  [[noreturn]] void unsupported(const std::string& what) const;    // WAX_UNSUPPORTED
  std::string where() const { return file_ + ": '" + path_ + "'"; }

 private:
  const nlohmann::json* value_;
  std::string path_;
  std::string file_;
};

}  // namespace wax
