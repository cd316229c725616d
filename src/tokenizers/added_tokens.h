// tokenizer.json "added_tokens": strings matched in the text before the model sees it, longest
// match first among those starting leftmost (tokenizers/src/tokenizer/added_vocabulary.rs).
// Tokens with `normalized: false` are matched in the raw text; the others in the normalized
// text, against their own normalized form.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace wax {

class json_node;
class normalizer;

struct added_token {
  int32_t id = 0;
  std::string content;
  // What decode and id_to_token give: the normalized content for `normalized` tokens (so that
  // e.g. a ByteLevel normalizer's output goes back through the decoder), as tokenizers ≥ 0.22 do.
  std::string decoded;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

// A piece of text: an added token (id >= 0) or text for the model (id -1).
struct text_piece {
  size_t begin, end;
  int32_t id;
};

class added_vocabulary {
 public:
  added_vocabulary() = default;
  // `added_tokens` array; `norm` (may be null) gives the patterns of normalized tokens.
  added_vocabulary(const json_node& node, const normalizer* norm);

  // The non-empty pieces of `text`, in order, covering it.
  void split(std::string_view text, bool normalized_tokens, std::vector<text_piece>& pieces) const;

  const added_token* find(int32_t id) const;
  std::optional<int32_t> find(std::string_view content) const;
  bool is_special(std::string_view content) const { return special_contents_.count(std::string(content)) != 0; }
  const std::vector<added_token>& tokens() const { return tokens_; }

 private:
  // A byte trie over the patterns; nodes are numbered from 0 (the root).
  struct trie {
    std::unordered_map<uint64_t, int32_t> edges;  // (node << 8) | byte → child
    std::vector<int32_t> token_at;                // node → index in tokens_, or -1
    std::array<bool, 256> first_byte{};
    void insert(std::string_view pattern, int32_t token_index);
    // The longest pattern starting at `pos`: (index in tokens_, length), or index -1.
    std::pair<int32_t, size_t> longest_at(std::string_view text, size_t pos) const;
  };

  std::vector<added_token> tokens_;
  std::unordered_map<int32_t, size_t> by_id_;
  std::unordered_map<std::string, int32_t> by_content_;
  std::unordered_set<std::string> special_contents_;
  trie raw_, normalized_;
};

}  // namespace wax
