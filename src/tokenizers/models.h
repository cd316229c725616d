// tokenizer.json "model": one pre-tokenized word → ids. BPE (bpe.cpp), WordPiece and WordLevel
// (models.cpp), with the semantics of tokenizers/src/models/ in the Rust library.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wax {

class json_node;

// Token strings by id and ids by token string, as read from `model.vocab`.
class vocabulary {
 public:
  vocabulary() = default;
  vocabulary(vocabulary&&) = default;
  vocabulary& operator=(vocabulary&&) = default;
  vocabulary(const vocabulary&) = delete;  // the map's keys view into storage_
  vocabulary& operator=(const vocabulary&) = delete;

  // {"token": id, ...}
  static vocabulary from_json(const json_node& node);

  std::optional<int32_t> find(std::string_view token) const {
    auto found = ids_.find(token);
    if (found == ids_.end()) return std::nullopt;
    return found->second;
  }
  const std::string* token(int32_t id) const {
    return id >= 0 && size_t(id) < by_id_.size() ? by_id_[size_t(id)] : nullptr;
  }
  const std::unordered_map<std::string_view, int32_t>& ids() const { return ids_; }

 private:
  std::deque<std::string> storage_;  // a deque never moves its elements
  std::vector<const std::string*> by_id_;
  std::unordered_map<std::string_view, int32_t> ids_;
};

class model {
 public:
  virtual ~model() = default;
  // Appends the ids of one word (a pre-token); an empty word gives none.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& ids) const = 0;
  virtual const vocabulary& vocab() const = 0;
};

std::unique_ptr<model> bpe_model_from_json(const json_node& node);
// BPE, WordPiece or WordLevel (by `type`, or by the fields present when an old file has none).
std::unique_ptr<model> model_from_json(const json_node& node);

}  // namespace wax
