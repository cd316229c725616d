// The vocabulary, WordPiece and WordLevel (tokenizers/src/models/{wordpiece,wordlevel}/mod.rs),
// and the model factory.
#include "tokenizers/models.h"

#include "core/error.h"
#include "tokenizers/json_node.h"
#include "tokenizers/tokenizer.h"

namespace wax {

vocabulary vocabulary::from_json(const json_node& node) {
  if (!node.value().is_object()) node.fail("an object of token → id");
  vocabulary vocab;
  const auto& object = node.value().get_ref<const nlohmann::json::object_t&>();
  vocab.ids_.reserve(object.size());
  const int64_t max_id = int64_t(object.size()) * 4 + (int64_t(1) << 16);  // bounds the id → token table
  for (const auto& [token, id_value] : object) {
    const int64_t id = id_value.is_number_integer() ? id_value.get<int64_t>() : -1;
    if (id < 0 || id > max_id) node.at(token).fail("an id between 0 and " + std::to_string(max_id));
    const std::string& stored = vocab.storage_.emplace_back(token);
    vocab.ids_.insert_or_assign(std::string_view(stored), int32_t(id));
    if (size_t(id) >= vocab.by_id_.size()) vocab.by_id_.resize(size_t(id) + 1, nullptr);
    vocab.by_id_[size_t(id)] = &stored;
  }
  return vocab;
}

namespace {

// Greedy longest-match-first over the word; `##` marks pieces that continue a word. A word with
// an unmatchable rest, or longer than max_input_chars_per_word characters, becomes [UNK].
class wordpiece_model final : public model {
 public:
  wordpiece_model(vocabulary vocab, const json_node& node) : vocab_(std::move(vocab)) {
    const std::string unk_token = node.string("unk_token", "[UNK]");
    prefix_ = node.string("continuing_subword_prefix", "##");
    max_chars_ = size_t(node.integer("max_input_chars_per_word", 100));
    unk_id_ = vocab_.find(unk_token);
    if (!unk_id_) node.child("unk_token").fail("a token of 'model.vocab' (the unknown token '" + unk_token + "' is missing)");
  }
  const vocabulary& vocab() const override { return vocab_; }

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override {
    size_t chars = 0;
    for (unsigned char c : word) chars += (c & 0xC0) != 0x80;
    if (chars > max_chars_) {
      ids.push_back(*unk_id_);
      return;
    }
    const size_t first = ids.size();
    std::string candidate;
    for (size_t start = 0; start < word.size();) {
      size_t end = word.size();
      std::optional<int32_t> found;
      while (start < end) {
        candidate.clear();
        if (start > 0) candidate += prefix_;
        candidate += word.substr(start, end - start);
        if ((found = vocab_.find(candidate))) break;
        do --end;  // back off one whole character
        while (end > start && (uint8_t(word[end]) & 0xC0) == 0x80);
      }
      if (!found) {
        ids.resize(first);
        ids.push_back(*unk_id_);
        return;
      }
      ids.push_back(*found);
      start = end;
    }
  }

 private:
  vocabulary vocab_;
  std::string prefix_;
  size_t max_chars_;
  std::optional<int32_t> unk_id_;
};

// One word, one id (or the unknown token's).
class wordlevel_model final : public model {
 public:
  wordlevel_model(vocabulary vocab, const json_node& node) : vocab_(std::move(vocab)) {
    if (auto unk = node.optional_string("unk_token")) unk_id_ = vocab_.find(*unk);
  }
  const vocabulary& vocab() const override { return vocab_; }

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override {
    if (word.empty()) return;
    if (auto id = vocab_.find(word)) ids.push_back(*id);
    else if (unk_id_) ids.push_back(*unk_id_);
    else throw error(error_bad_input, "tokenizer: '" + std::string(word) + "' is not in the WordLevel vocabulary, which has no unk_token");
  }

 private:
  vocabulary vocab_;
  std::optional<int32_t> unk_id_;
};

}  // namespace

std::unique_ptr<model> model_from_json(const json_node& node) {
  if (!node.value().is_object()) node.fail("a model object");
  std::string type;
  if (node.has("type")) {
    type = node.type("model");
  } else if (node.has("merges")) {  // files written before `type` was serialized
    type = "BPE";
  } else if (node.has("max_input_chars_per_word")) {
    type = "WordPiece";
  } else if (node.has("vocab") && node.at("vocab").value().is_array()) {
    type = "Unigram";
  } else {
    node.child("type").fail("one of BPE, WordPiece, WordLevel");
  }
  if (type == "BPE") return bpe_model_from_json(node);
  if (type == "WordPiece") return std::make_unique<wordpiece_model>(vocabulary::from_json(node.at("vocab")), node);
  if (type == "WordLevel") return std::make_unique<wordlevel_model>(vocabulary::from_json(node.at("vocab")), node);
  if (type == "Unigram") node.child("type").unsupported("the Unigram model is not supported yet (BPE, WordPiece, WordLevel are)");
  node.at("type").fail_unknown("model", type, "BPE, WordPiece, WordLevel");
}

}  // namespace wax
