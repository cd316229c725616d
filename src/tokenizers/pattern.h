// The patterns of tokenizer.json (`{"String": ...}` or `{"Regex": ...}` in Split, Replace), found
// without a general regex engine: a literal, one of the known pre-tokenizer regexes (GPT-2,
// Llama-3, Qwen2) matched by hand-written code, or a small regex without groups or alternation
// (" {2,}", "\\s+", "[0-9]", "\\p{N}{1,3}"). Anything else is reported as unsupported.
// Character classes follow Oniguruma/Rust regex in Unicode mode: \s is White_Space, \p{L} the
// general category, \w and \d Unicode-aware.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wax {

class json_node;

// [begin, end) byte offsets into the searched text.
using text_span = std::pair<size_t, size_t>;

class text_pattern {
 public:
  virtual ~text_pattern() = default;
  // The leftmost non-overlapping matches in `text` (valid UTF-8), in order; empty matches are
  // allowed (the splitters drop empty pieces).
  virtual void find_all(std::string_view text, std::vector<text_span>& matches) const = 0;
};

std::unique_ptr<text_pattern> text_pattern_literal(std::string literal);
// Throws error_unsupported naming `where` and the pattern when it is beyond what wax matches.
std::unique_ptr<text_pattern> text_pattern_regex(const std::string& regex, const std::string& where);
// `{"String": "..."}` or `{"Regex": "..."}`.
std::unique_ptr<text_pattern> text_pattern_from_json(const json_node& node);

// `text` with every match of `pattern` replaced by `content`.
std::string replace_all(const text_pattern& pattern, std::string_view text, std::string_view content);

// The GPT-2 pre-tokenizer regex, used by the ByteLevel pre-tokenizer when use_regex is true.
inline constexpr std::string_view gpt2_regex =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

}  // namespace wax
