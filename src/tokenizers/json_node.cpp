#include "tokenizers/json_node.h"

#include "core/error.h"
#include "tokenizers/tokenizer.h"

namespace wax {

namespace {

std::string describe(const nlohmann::json* value) {
  if (!value || value->is_null()) return "nothing";
  std::string text = value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

}  // namespace

void json_node::fail(const std::string& expected) const {
  const std::string field = path_.empty() ? "" : " '" + path_ + "'";
  throw error(error_bad_tokenizer, file_ + ":" + field + " expected " + expected + ", got " + describe(value_));
}

void json_node::fail_unknown(const std::string& kind, const std::string& name, const std::string& known) const {
  throw error(error_bad_tokenizer,
              where() + ": unknown " + kind + " type '" + name + "' (wax knows " + known + ")");
}

void json_node::unsupported(const std::string& what) const {
  throw error(error_unsupported, where() + ": " + what);
}

bool json_node::has(std::string_view key) const {
  if (!value_ || !value_->is_object()) return false;
  auto found = value_->find(key);
  return found != value_->end() && !found->is_null();
}

json_node json_node::child(std::string_view key) const {
  if (!value_ || !value_->is_object()) fail("an object");
  const std::string path = path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  auto found = value_->find(key);
  return json_node(found == value_->end() ? nullptr : &*found, path, file_);
}

std::optional<json_node> json_node::find(std::string_view key) const {
  json_node node = child(key);
  if (node.is_null()) return std::nullopt;
  return node;
}

json_node json_node::at(std::string_view key) const {
  json_node node = child(key);
  if (node.is_null()) node.fail("a value");
  return node;
}

size_t json_node::size() const {
  if (!value_ || !value_->is_array()) fail("an array");
  return value_->size();
}

json_node json_node::at(size_t index) const {
  if (!value_ || !value_->is_array()) fail("an array");
  return json_node(&(*value_)[index], path_ + "[" + std::to_string(index) + "]", file_);
}

std::vector<json_node> json_node::elements() const {
  std::vector<json_node> out;
  const size_t count = size();
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.push_back(at(i));
  return out;
}

std::string json_node::string() const {
  if (!value_ || !value_->is_string()) fail("a string");
  return value_->get<std::string>();
}

int64_t json_node::integer() const {
  if (value_ && value_->is_number_integer()) return value_->get<int64_t>();
  if (value_ && value_->is_number_float()) {
    const double number = value_->get<double>();
    if (number == double(int64_t(number))) return int64_t(number);
  }
  fail("an integer");
}

bool json_node::boolean() const {
  if (!value_ || !value_->is_boolean()) fail("true or false");
  return value_->get<bool>();
}

std::string json_node::string(std::string_view key, const std::string& fallback) const {
  auto node = find(key);
  return node ? node->string() : fallback;
}

bool json_node::boolean(std::string_view key, bool fallback) const {
  auto node = find(key);
  return node ? node->boolean() : fallback;
}

int64_t json_node::integer(std::string_view key, int64_t fallback) const {
  auto node = find(key);
  return node ? node->integer() : fallback;
}

std::optional<std::string> json_node::optional_string(std::string_view key) const {
  auto node = find(key);
  if (!node) return std::nullopt;
  return node->string();
}

std::string json_node::type(const std::string& kind) const {
  if (!value_ || !value_->is_object()) fail("a " + kind + " object");
  return at("type").string();
}

}  // namespace wax
