// tokenizer.json "pre_tokenizer": splits normalized text into the words the model tokenizes
// one by one (and, for ByteLevel, rewrites their bytes as GPT-2 characters).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizers/pattern.h"

namespace wax {

class json_node;

struct pre_token {
  std::string text;
  bool at_start = false;  // begins at offset 0 of the input (Metaspace prepend_scheme "first")
};

class pre_tokenizer {
 public:
  virtual ~pre_tokenizer() = default;
  // Replaces each token by its pieces, in order; empty pieces are dropped.
  virtual void pre_tokenize(std::vector<pre_token>& tokens) const = 0;
};

// SplitDelimiterBehavior of the Rust library.
enum class split_behavior {
  split_behavior_removed,
  split_behavior_isolated,
  split_behavior_merged_with_previous,
  split_behavior_merged_with_next,
  split_behavior_contiguous,
};

// Splits `token` around `matches` (sorted, non-overlapping spans of token.text) as
// NormalizedString::split does, appending the non-empty pieces to `out`.
void split_token(const pre_token& token, const std::vector<text_span>& matches, split_behavior behavior, bool invert,
                 std::vector<pre_token>& out);

// ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, Punctuation,
// Digits, CharDelimiterSplit and Sequence; null gives nullptr.
std::unique_ptr<pre_tokenizer> pre_tokenizer_from_json(const json_node& node);

}  // namespace wax
