#include "tokenizers/added_tokens.h"

#include "tokenizers/json_node.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

// The code point that ends at `end` (text is valid UTF-8, end > 0).
char32_t code_point_before(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && (uint8_t(text[start]) & 0xC0) == 0x80) --start;
  return unicode::utf8_next(text, start);
}

}  // namespace

void added_vocabulary::trie::insert(std::string_view pattern, int32_t token_index) {
  if (token_at.empty()) token_at.push_back(-1);
  int32_t node = 0;
  for (unsigned char b : pattern) {
    const uint64_t key = (uint64_t(node) << 8) | b;
    auto found = edges.find(key);
    if (found == edges.end()) {
      found = edges.emplace(key, int32_t(token_at.size())).first;
      token_at.push_back(-1);
    }
    node = found->second;
  }
  token_at[size_t(node)] = token_index;
  first_byte[uint8_t(pattern[0])] = true;
}

std::pair<int32_t, size_t> added_vocabulary::trie::longest_at(std::string_view text, size_t pos) const {
  std::pair<int32_t, size_t> best{-1, 0};
  if (token_at.empty() || !first_byte[uint8_t(text[pos])]) return best;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    auto found = edges.find((uint64_t(node) << 8) | uint8_t(text[i]));
    if (found == edges.end()) break;
    node = found->second;
    if (token_at[size_t(node)] >= 0) best = {token_at[size_t(node)], i + 1 - pos};
  }
  return best;
}

added_vocabulary::added_vocabulary(const json_node& node, const normalizer* norm) {
  if (node.is_null()) return;
  const size_t count = node.size();
  tokens_.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const json_node entry = node.at(i);
    added_token token;
    const int64_t id = entry.at("id").integer();
    if (id < 0 || id > INT32_MAX) entry.at("id").fail("a non-negative 32-bit id");
    token.id = int32_t(id);
    token.content = entry.at("content").string();
    token.single_word = entry.boolean("single_word", false);
    token.lstrip = entry.boolean("lstrip", false);
    token.rstrip = entry.boolean("rstrip", false);
    token.normalized = entry.boolean("normalized", true);
    token.special = entry.boolean("special", false);
    if (token.content.empty()) continue;  // the Rust library ignores empty tokens
    by_id_[token.id] = tokens_.size();
    by_content_[token.content] = token.id;
    if (token.special) special_contents_.insert(token.content);
    tokens_.push_back(std::move(token));
  }
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const added_token token = tokens_[i];
    tokens_[i].decoded = token.content;
    if (!token.normalized) {
      raw_.insert(token.content, int32_t(i));
      continue;
    }
    std::string pattern = token.content;
    if (norm) norm->normalize(pattern);
    tokens_[i].decoded = pattern;
    if (!pattern.empty()) normalized_.insert(pattern, int32_t(i));
  }
}

const added_token* added_vocabulary::find(int32_t id) const {
  auto found = by_id_.find(id);
  return found == by_id_.end() ? nullptr : &tokens_[found->second];
}

std::optional<int32_t> added_vocabulary::find(std::string_view content) const {
  auto found = by_content_.find(std::string(content));
  if (found == by_content_.end()) return std::nullopt;
  return found->second;
}

// AddedVocabulary::find_matches: single_word matches need non-word characters (regex \w) or
// the text's ends around them; lstrip/rstrip take the adjacent whitespace into the token.
void added_vocabulary::split(std::string_view text, bool normalized_tokens, std::vector<text_piece>& pieces) const {
  const trie& patterns = normalized_tokens ? normalized_ : raw_;
  size_t start_offset = 0;
  for (size_t pos = 0; pos < text.size();) {
    const auto [index, length] = patterns.longest_at(text, pos);
    if (index < 0) {
      ++pos;
      continue;
    }
    const added_token& token = tokens_[size_t(index)];
    size_t start = pos, stop = pos + length;
    pos = stop;
    if (token.single_word) {
      const bool word_before = start > 0 && unicode::is_word(code_point_before(text, start));
      size_t after = stop;
      const bool word_after = stop < text.size() && unicode::is_word(unicode::utf8_next(text, after));
      if (word_before || word_after) continue;
    }
    if (token.lstrip) {
      size_t new_start = start;
      while (new_start > 0 && unicode::is_white_space(code_point_before(text, new_start))) {
        --new_start;
        while (new_start > 0 && (uint8_t(text[new_start]) & 0xC0) == 0x80) --new_start;
      }
      start = std::max(new_start, start_offset);
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t next = stop;
        if (!unicode::is_white_space(unicode::utf8_next(text, next))) break;
        stop = next;
      }
      pos = stop;
    }
    if (start_offset < start) pieces.push_back({start_offset, start, -1});
    pieces.push_back({start, stop, token.id});
    start_offset = stop;
  }
  if (start_offset < text.size()) pieces.push_back({start_offset, text.size(), -1});
}

}  // namespace wax
