// Each pre-tokenizer follows its namesake in tokenizers/src/pre_tokenizers/ of the Rust library.
#include "tokenizers/pre_tokenizers.h"

#include <algorithm>

#include "tokenizers/byte_level.h"
#include "tokenizers/json_node.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

struct segment {
  size_t begin, end;
  bool is_match;
};

// One span per code point for which `predicate` holds (the Rust `impl Pattern for Fn(char)`).
template <typename Predicate>
std::vector<text_span> char_matches(std::string_view text, Predicate predicate) {
  std::vector<text_span> matches;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (predicate(unicode::utf8_next(text, pos))) matches.emplace_back(start, pos);
  }
  return matches;
}

template <typename Predicate>
void split_on_chars(std::vector<pre_token>& tokens, Predicate predicate, split_behavior behavior) {
  std::vector<pre_token> out;
  out.reserve(tokens.size());
  for (const auto& token : tokens) split_token(token, char_matches(token.text, predicate), behavior, false, out);
  tokens = std::move(out);
}

// Rust's char::is_ascii_punctuation || General_Category P.
bool is_bert_punctuation(char32_t c) {
  const bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii || unicode::is_punctuation(c);
}

class sequence_pre_tokenizer final : public pre_tokenizer {
 public:
  explicit sequence_pre_tokenizer(std::vector<std::unique_ptr<pre_tokenizer>> steps) : steps_(std::move(steps)) {}
  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    for (const auto& step : steps_) step->pre_tokenize(tokens);
  }

 private:
  std::vector<std::unique_ptr<pre_tokenizer>> steps_;
};

class byte_level_pre_tokenizer final : public pre_tokenizer {
 public:
  byte_level_pre_tokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), regex_(use_regex ? text_pattern_regex(std::string(gpt2_regex), "") : nullptr) {}

  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    std::vector<pre_token> pieces;
    pieces.reserve(tokens.size());
    std::vector<text_span> matches;
    for (auto& token : tokens) {
      if (add_prefix_space_ && (token.text.empty() || token.text[0] != ' ')) token.text = " " + token.text;
      if (regex_) {
        matches.clear();
        regex_->find_all(token.text, matches);
        split_token(token, matches, split_behavior::split_behavior_isolated, false, pieces);
      } else if (!token.text.empty()) {
        pieces.push_back(std::move(token));
      }
    }
    for (auto& piece : pieces) piece.text = byte_level_encode(piece.text);
    tokens = std::move(pieces);
  }

 private:
  bool add_prefix_space_;
  std::unique_ptr<text_pattern> regex_;
};

class split_pre_tokenizer final : public pre_tokenizer {
 public:
  split_pre_tokenizer(std::unique_ptr<text_pattern> pattern, split_behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    std::vector<pre_token> out;
    out.reserve(tokens.size());
    std::vector<text_span> matches;
    for (const auto& token : tokens) {
      matches.clear();
      pattern_->find_all(token.text, matches);
      split_token(token, matches, behavior_, invert_, out);
    }
    tokens = std::move(out);
  }

 private:
  std::unique_ptr<text_pattern> pattern_;
  split_behavior behavior_;
  bool invert_;
};

enum class prepend_scheme { prepend_scheme_always, prepend_scheme_first, prepend_scheme_never };

// Spaces become the replacement (U+2581 "▁"), which is prepended to the text by the scheme
// (never twice) and, with `split`, starts each piece.
class metaspace_pre_tokenizer final : public pre_tokenizer {
 public:
  metaspace_pre_tokenizer(std::string replacement, prepend_scheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}

  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    std::vector<pre_token> out;
    out.reserve(tokens.size());
    std::vector<text_span> matches;
    for (auto& token : tokens) {
      std::string text;
      text.reserve(token.text.size() + replacement_.size());
      for (char c : token.text)
        if (c == ' ') text += replacement_;
        else text.push_back(c);
      const bool starts = text.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == prepend_scheme::prepend_scheme_always ||
                      (scheme_ == prepend_scheme::prepend_scheme_first && token.at_start)))
        text.insert(0, replacement_);
      token.text = std::move(text);
      if (split_) {
        matches.clear();
        for (size_t at = token.text.find(replacement_); at != std::string::npos;
             at = token.text.find(replacement_, at + replacement_.size()))
          matches.emplace_back(at, at + replacement_.size());
        split_token(token, matches, split_behavior::split_behavior_merged_with_next, false, out);
      } else if (!token.text.empty()) {
        out.push_back(std::move(token));
      }
    }
    tokens = std::move(out);
  }

 private:
  std::string replacement_;
  prepend_scheme scheme_;
  bool split_;
};

// Whitespace: the regex \w+|[^\w\s]+, keeping the matches.
class whitespace_pre_tokenizer final : public pre_tokenizer {
 public:
  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    std::vector<pre_token> out;
    out.reserve(tokens.size());
    for (const auto& token : tokens) {
      int run_kind = -1;  // 0 word, 1 other, 2 space
      size_t run_start = 0;
      const auto flush = [&](size_t end) {
        if (run_kind == 0 || run_kind == 1)
          out.push_back({token.text.substr(run_start, end - run_start), token.at_start && run_start == 0});
      };
      for (size_t pos = 0; pos < token.text.size();) {
        const size_t start = pos;
        const char32_t c = unicode::utf8_next(token.text, pos);
        const int kind = unicode::is_word(c) ? 0 : unicode::is_white_space(c) ? 2 : 1;
        if (kind == run_kind) continue;
        flush(start);
        run_kind = kind;
        run_start = start;
      }
      flush(token.text.size());
    }
    tokens = std::move(out);
  }
};

class bert_pre_tokenizer final : public pre_tokenizer {
 public:
  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    split_on_chars(tokens, unicode::is_white_space, split_behavior::split_behavior_removed);
    split_on_chars(tokens, is_bert_punctuation, split_behavior::split_behavior_isolated);
  }
};

// WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit: split on a character predicate.
class char_split_pre_tokenizer final : public pre_tokenizer {
 public:
  enum kind_t { kind_whitespace, kind_punctuation, kind_digits, kind_delimiter };
  char_split_pre_tokenizer(kind_t kind, split_behavior behavior, char32_t delimiter = 0)
      : kind_(kind), behavior_(behavior), delimiter_(delimiter) {}
  void pre_tokenize(std::vector<pre_token>& tokens) const override {
    split_on_chars(
        tokens,
        [this](char32_t c) {
          switch (kind_) {
            case kind_whitespace: return unicode::is_white_space(c);
            case kind_punctuation: return is_bert_punctuation(c);
            case kind_digits: return unicode::is_number(c);
            case kind_delimiter: return c == delimiter_;
          }
          return false;
        },
        behavior_);
  }

 private:
  kind_t kind_;
  split_behavior behavior_;
  char32_t delimiter_;
};

split_behavior behavior_from_json(const json_node& node) {
  const std::string name = node.string();
  if (name == "Removed") return split_behavior::split_behavior_removed;
  if (name == "Isolated") return split_behavior::split_behavior_isolated;
  if (name == "MergedWithPrevious") return split_behavior::split_behavior_merged_with_previous;
  if (name == "MergedWithNext") return split_behavior::split_behavior_merged_with_next;
  if (name == "Contiguous") return split_behavior::split_behavior_contiguous;
  node.fail("one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
}

char32_t single_char(const json_node& node) {
  const std::u32string cps = unicode::utf8_decode(node.string());
  if (cps.size() != 1) node.fail("a single character");
  return cps[0];
}

}  // namespace

void split_token(const pre_token& token, const std::vector<text_span>& matches, split_behavior behavior, bool invert,
                 std::vector<pre_token>& out) {
  const size_t length = token.text.size();
  std::vector<segment> segments;
  segments.reserve(matches.size() * 2 + 1);
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    if (previous != begin) segments.push_back({previous, begin, invert});
    segments.push_back({begin, end, !invert});
    previous = end;
  }
  if (previous != length || segments.empty()) segments.push_back({previous, length, invert});

  std::vector<segment> pieces;  // is_match now means "drop"
  pieces.reserve(segments.size());
  bool previous_match = false;
  switch (behavior) {
    case split_behavior::split_behavior_isolated:
      for (const auto& s : segments) pieces.push_back({s.begin, s.end, false});
      break;
    case split_behavior::split_behavior_removed:
      pieces = segments;
      break;
    case split_behavior::split_behavior_contiguous:
      for (const auto& s : segments) {
        if (s.is_match == previous_match && !pieces.empty()) pieces.back().end = s.end;
        else pieces.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    case split_behavior::split_behavior_merged_with_previous:
      for (const auto& s : segments) {
        if (s.is_match && !previous_match && !pieces.empty()) pieces.back().end = s.end;
        else pieces.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      break;
    case split_behavior::split_behavior_merged_with_next:
      for (size_t i = segments.size(); i-- > 0;) {
        const segment& s = segments[i];
        if (s.is_match && !previous_match && !pieces.empty()) pieces.back().begin = s.begin;
        else pieces.push_back({s.begin, s.end, false});
        previous_match = s.is_match;
      }
      std::reverse(pieces.begin(), pieces.end());
      break;
  }
  for (const auto& piece : pieces)
    if (!piece.is_match && piece.end > piece.begin)
      out.push_back({token.text.substr(piece.begin, piece.end - piece.begin), token.at_start && piece.begin == 0});
}

std::unique_ptr<pre_tokenizer> pre_tokenizer_from_json(const json_node& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type("pre_tokenizer");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<pre_tokenizer>> steps;
    for (const auto& step : node.at("pretokenizers").elements())
      if (auto made = pre_tokenizer_from_json(step)) steps.push_back(std::move(made));
    return std::make_unique<sequence_pre_tokenizer>(std::move(steps));
  }
  if (type == "ByteLevel")
    return std::make_unique<byte_level_pre_tokenizer>(node.boolean("add_prefix_space", true), node.boolean("use_regex", true));
  if (type == "Split")
    return std::make_unique<split_pre_tokenizer>(text_pattern_from_json(node.at("pattern")),
                                                 behavior_from_json(node.at("behavior")), node.boolean("invert", false));
  if (type == "Metaspace") {
    const std::string replacement = unicode::utf8_encode(std::u32string(1, single_char(node.at("replacement"))));
    prepend_scheme scheme = prepend_scheme::prepend_scheme_always;
    if (auto name = node.find("prepend_scheme")) {
      const std::string value = name->string();
      if (value == "first") scheme = prepend_scheme::prepend_scheme_first;
      else if (value == "never") scheme = prepend_scheme::prepend_scheme_never;
      else if (value != "always") name->fail("one of always, first, never");
    } else if (!node.boolean("add_prefix_space", true)) {
      scheme = prepend_scheme::prepend_scheme_never;
    }
    return std::make_unique<metaspace_pre_tokenizer>(replacement, scheme, node.boolean("split", true));
  }
  if (type == "Whitespace") return std::make_unique<whitespace_pre_tokenizer>();
  if (type == "WhitespaceSplit")
    return std::make_unique<char_split_pre_tokenizer>(char_split_pre_tokenizer::kind_whitespace,
                                                      split_behavior::split_behavior_removed);
  if (type == "BertPreTokenizer") return std::make_unique<bert_pre_tokenizer>();
  if (type == "Punctuation") {
    auto behavior = node.find("behavior");
    return std::make_unique<char_split_pre_tokenizer>(
        char_split_pre_tokenizer::kind_punctuation,
        behavior ? behavior_from_json(*behavior) : split_behavior::split_behavior_isolated);
  }
  if (type == "Digits")
    return std::make_unique<char_split_pre_tokenizer>(char_split_pre_tokenizer::kind_digits,
                                                      node.boolean("individual_digits", false)
                                                          ? split_behavior::split_behavior_isolated
                                                          : split_behavior::split_behavior_contiguous);
  if (type == "CharDelimiterSplit")
    return std::make_unique<char_split_pre_tokenizer>(char_split_pre_tokenizer::kind_delimiter,
                                                      split_behavior::split_behavior_removed,
                                                      single_char(node.at("delimiter")));
  if (type == "UnicodeScripts" || type == "FixedLength")
    node.at("type").unsupported("the " + type + " pre-tokenizer is not supported");
  node.at("type").fail_unknown("pre_tokenizer", type,
                               "Sequence, ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, "
                               "Punctuation, Digits, CharDelimiterSplit");
}

}  // namespace wax
