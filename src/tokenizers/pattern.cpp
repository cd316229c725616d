#include "tokenizers/pattern.h"

#include <cctype>
#include <cstdint>
#include <iterator>

#include "core/error.h"
#include "tokenizers/json_node.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

// Code points of a text with the byte offset of each (and of the end).
struct decoded_text {
  std::u32string cps;
  std::vector<size_t> offsets;  // cps.size() + 1 entries
};

decoded_text decode_with_offsets(std::string_view text) {
  decoded_text out;
  out.cps.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    out.offsets.push_back(pos);
    out.cps.push_back(unicode::utf8_next(text, pos));
  }
  out.offsets.push_back(text.size());
  return out;
}

class literal_pattern final : public text_pattern {
 public:
  explicit literal_pattern(std::string literal) : literal_(std::move(literal)) {}
  void find_all(std::string_view text, std::vector<text_span>& matches) const override {
    if (literal_.empty()) return;
    for (size_t at = text.find(literal_); at != std::string_view::npos; at = text.find(literal_, at + literal_.size()))
      matches.emplace_back(at, at + literal_.size());
  }

 private:
  std::string literal_;
};

// The GPT-2 family of pre-tokenizer regexes, alternative by alternative (first match wins, each
// alternative greedy with the backtracking the regex would do):
//   GPT-2:  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama-3 (max_digits 3) and Qwen2 (max_digits 1):
//     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}
//     | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
class pretokenizer_regex final : public text_pattern {
 public:
  pretokenizer_regex(bool llama_style, int max_digits) : llama_style_(llama_style), max_digits_(max_digits) {}

  void find_all(std::string_view text, std::vector<text_span>& matches) const override {
    const decoded_text decoded = decode_with_offsets(text);
    std::vector<uint8_t> classes(decoded.cps.size());
    for (size_t i = 0; i < classes.size(); ++i) classes[i] = classify(decoded.cps[i]);
    for (size_t i = 0; i < classes.size();) {
      const size_t end = match_at(decoded.cps, classes, i);
      if (end == i) {
        ++i;
        continue;
      }
      matches.emplace_back(decoded.offsets[i], decoded.offsets[end]);
      i = end;
    }
  }

 private:
  enum : uint8_t { class_letter = 1, class_number = 2, class_space = 4, class_newline = 8 };

  static uint8_t classify(char32_t cp) {
    if (cp == '\r' || cp == '\n') return class_space | class_newline;
    if (unicode::is_white_space(cp)) return class_space;
    if (unicode::is_letter(cp)) return class_letter;
    if (unicode::is_number(cp)) return class_number;
    return 0;
  }

  // 's 't 're 've 'm 'll 'd after the apostrophe at i; case-insensitively for Llama-3/Qwen2
  // (Unicode simple case folding also folds U+017F LONG S to 's').
  size_t contraction(const std::u32string& cps, size_t i) const {
    if (cps[i] != '\'' || i + 1 >= cps.size()) return i;
    const auto fold = [&](size_t k) -> char32_t {
      if (k >= cps.size()) return 0;
      char32_t c = cps[k];
      if (!llama_style_) return c;
      if (c >= 'A' && c <= 'Z') return c + 32;
      if (c == 0x17F) return 's';
      return c;
    };
    const char32_t a = fold(i + 1), b = fold(i + 2);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    if ((a == 'r' || a == 'v') && b == 'e') return i + 3;
    if (a == 'l' && b == 'l') return i + 3;
    return i;
  }

  static size_t run(const std::vector<uint8_t>& classes, size_t i, uint8_t mask, bool want) {
    while (i < classes.size() && bool(classes[i] & mask) == want) ++i;
    return i;
  }
  static bool is_other(uint8_t c) { return (c & (class_letter | class_number | class_space)) == 0; }

  // \s+(?!\S) then \s+, from a whitespace code point at i.
  static size_t trailing_space(const std::vector<uint8_t>& classes, size_t i) {
    const size_t end = run(classes, i, class_space, true);
    if (end == classes.size()) return end;
    return end - i >= 2 ? end - 1 : end;
  }

  size_t match_at(const std::u32string& cps, const std::vector<uint8_t>& classes, size_t i) const {
    const size_t n = classes.size();
    if (size_t end = contraction(cps, i); end != i) return end;
    const uint8_t c = classes[i];
    if (!llama_style_) {
      const size_t start = cps[i] == ' ' && i + 1 < n ? i + 1 : i;
      const uint8_t s = classes[start];
      if (s & class_letter) return run(classes, start, class_letter, true);
      if (s & class_number) return run(classes, start, class_number, true);
      if (is_other(s)) {
        size_t end = start;
        while (end < n && is_other(classes[end])) ++end;
        return end;
      }
      return trailing_space(classes, i);  // cps[i] is whitespace here
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c & class_letter) return run(classes, i, class_letter, true);
    if (!(c & (class_newline | class_number)) && i + 1 < n && (classes[i + 1] & class_letter))
      return run(classes, i + 1, class_letter, true);
    // \p{N}{1,max_digits}
    if (c & class_number) {
      size_t end = i;
      while (end < n && (classes[end] & class_number) && end - i < size_t(max_digits_)) ++end;
      return end;
    }
    //  ?[^\s\p{L}\p{N}]+[\r\n]*
    const size_t start = cps[i] == ' ' && i + 1 < n ? i + 1 : i;
    if (is_other(classes[start])) {
      size_t end = start;
      while (end < n && is_other(classes[end])) ++end;
      return run(classes, end, class_newline, true);
    }
    // \s*[\r\n]+ : through the last newline of the whitespace run
    const size_t space_end = run(classes, i, class_space, true);
    for (size_t k = space_end; k > i; --k)
      if (classes[k - 1] & class_newline) return k;
    return trailing_space(classes, i);
  }

  bool llama_style_;
  int max_digits_;
};

// A regex without groups, alternation or anchors: a sequence of atoms (a literal, `.`, an
// escape class or a bracket class) each with a greedy quantifier, matched by backtracking.
class simple_regex final : public text_pattern {
 public:
  simple_regex(const std::string& regex, const std::string& where) : where_(where), regex_(regex) { parse(); }

  void find_all(std::string_view text, std::vector<text_span>& matches) const override {
    const decoded_text decoded = decode_with_offsets(text);
    const size_t n = decoded.cps.size();
    for (size_t i = 0; i <= n;) {
      size_t end = 0;
      if (match_from(decoded.cps, 0, i, end)) {
        matches.emplace_back(decoded.offsets[i], decoded.offsets[end]);
        i = end > i ? end : i + 1;
      } else {
        ++i;
      }
    }
  }

 private:
  // One test of a bracket or escape class.
  struct class_test {
    enum kind_t { kind_range, kind_categories, kind_space, kind_word, kind_any_but_newline } kind;
    char32_t first = 0, last = 0;  // kind_range
    uint32_t categories = 0;       // kind_categories: bit per unicode::category
    bool negated = false;
  };
  struct char_class {
    std::vector<class_test> tests;
    bool negated = false;
  };
  struct item {
    char_class cls;
    size_t min = 1, max = 1;
  };

  [[noreturn]] void unsupported(const std::string& why) const {
    throw error(error_unsupported, where_ + ": regex \"" + regex_ + "\" is not supported (" + why +
                                       "); wax matches literals, the GPT-2/Llama-3/Qwen2 pre-tokenizer "
                                       "regexes and simple classes with quantifiers");
  }

  static bool test_matches(const class_test& test, char32_t cp) {
    bool result = false;
    switch (test.kind) {
      case class_test::kind_range: result = cp >= test.first && cp <= test.last; break;
      case class_test::kind_categories: result = (test.categories >> uint32_t(unicode::category_of(cp))) & 1; break;
      case class_test::kind_space: result = unicode::is_white_space(cp); break;
      case class_test::kind_word: result = unicode::is_word(cp); break;
      case class_test::kind_any_but_newline: result = cp != '\n'; break;
    }
    return result != test.negated;
  }

  static bool class_matches(const char_class& cls, char32_t cp) {
    bool any = false;
    for (const auto& test : cls.tests)
      if (test_matches(test, cp)) {
        any = true;
        break;
      }
    return any != cls.negated;
  }

  bool match_from(const std::u32string& cps, size_t k, size_t pos, size_t& end) const {
    if (k == items_.size()) {
      end = pos;
      return true;
    }
    const item& it = items_[k];
    size_t count = 0;
    while (count < it.max && pos + count < cps.size() && class_matches(it.cls, cps[pos + count])) ++count;
    for (size_t r = count + 1; r-- > it.min;)
      if (match_from(cps, k + 1, pos + r, end)) return true;
    return false;
  }

  static uint32_t category_mask(std::string_view name) {
    static constexpr std::string_view names[] = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl",
                                                 "No", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc",
                                                 "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"};
    uint32_t mask = 0;
    for (uint32_t i = 0; i < std::size(names); ++i)
      if (names[i] == name || (name.size() == 1 && names[i][0] == name[0])) mask |= 1u << i;
    return mask;
  }

  char32_t next_cp(size_t& pos) const {
    if (pos >= regex_.size()) unsupported("it ends inside an escape or class");
    return unicode::utf8_next(regex_, pos);
  }

  uint32_t hex(size_t& pos, size_t digits) const {
    uint32_t value = 0;
    for (size_t i = 0; i < digits; ++i) {
      const char32_t c = next_cp(pos);
      int d = c >= '0' && c <= '9' ? int(c - '0') : c >= 'a' && c <= 'f' ? int(c - 'a' + 10) : c >= 'A' && c <= 'F' ? int(c - 'A' + 10) : -1;
      if (d < 0) unsupported("bad hexadecimal escape");
      value = value * 16 + uint32_t(d);
    }
    return value;
  }

  // After a backslash: appends the class test it denotes.
  void parse_escape(size_t& pos, std::vector<class_test>& tests) const {
    const char32_t c = next_cp(pos);
    class_test test;
    switch (c) {
      case 's': case 'S': test.kind = class_test::kind_space; test.negated = c == 'S'; break;
      case 'w': case 'W': test.kind = class_test::kind_word; test.negated = c == 'W'; break;
      case 'd': case 'D':
        test.kind = class_test::kind_categories;
        test.categories = category_mask("Nd");
        test.negated = c == 'D';
        break;
      case 'p': case 'P': {
        std::string name;
        if (pos < regex_.size() && regex_[pos] == '{') {
          const size_t close = regex_.find('}', pos);
          if (close == std::string::npos) unsupported("unclosed \\p{");
          name = regex_.substr(pos + 1, close - pos - 1);
          pos = close + 1;
        } else {
          name = std::string(1, char(next_cp(pos)));
        }
        if (!name.empty() && name[0] == '^') unsupported("\\p{^...}");
        test.kind = class_test::kind_categories;
        test.categories = name.size() <= 2 ? category_mask(name) : 0;
        if (test.categories == 0 || (name.size() == 2 && (test.categories & (test.categories - 1))))
          unsupported("unknown property \\p{" + name + "}");
        test.negated = c == 'P';
        break;
      }
      default: {
        char32_t literal = c;
        if (c == 'n') literal = '\n';
        else if (c == 'r') literal = '\r';
        else if (c == 't') literal = '\t';
        else if (c == 'f') literal = '\f';
        else if (c == 'v') literal = '\v';
        else if (c == 'x' && pos < regex_.size() && regex_[pos] == '{') {
          const size_t close = regex_.find('}', pos);
          if (close == std::string::npos || close - pos - 1 > 6 || close == pos + 1) unsupported("bad \\x{...}");
          ++pos;
          literal = hex(pos, close - pos);
          pos = close + 1;
        } else if (c == 'x') literal = hex(pos, 2);
        else if (c == 'u') literal = hex(pos, 4);
        else if (c < 0x80 && (std::isalnum(int(c)) != 0)) unsupported(std::string("escape \\") + char(c));
        test.kind = class_test::kind_range;
        test.first = test.last = literal;
      }
    }
    tests.push_back(test);
  }

  char_class parse_bracket(size_t& pos) const {
    char_class cls;
    if (pos < regex_.size() && regex_[pos] == '^') {
      cls.negated = true;
      ++pos;
    }
    bool first = true;
    while (true) {
      if (pos >= regex_.size()) unsupported("unclosed [");
      if (regex_[pos] == ']' && !first) {
        ++pos;
        return cls;
      }
      first = false;
      if (regex_[pos] == '[') unsupported("nested classes");
      if (regex_[pos] == '\\') {
        ++pos;
        parse_escape(pos, cls.tests);
      } else {
        class_test test;
        test.kind = class_test::kind_range;
        test.first = test.last = next_cp(pos);
        cls.tests.push_back(test);
      }
      class_test& last = cls.tests.back();
      if (pos + 1 < regex_.size() && regex_[pos] == '-' && regex_[pos + 1] != ']' && last.kind == class_test::kind_range &&
          last.first == last.last) {
        ++pos;
        if (regex_[pos] == '\\') {
          std::vector<class_test> end;
          ++pos;
          parse_escape(pos, end);
          if (end[0].kind != class_test::kind_range) unsupported("class escape as a range end");
          last.last = end[0].first;
        } else {
          last.last = next_cp(pos);
        }
        if (last.last < last.first) unsupported("reversed range");
      }
    }
  }

  size_t parse_number(size_t& pos) const {
    size_t value = 0, digits = 0;
    while (pos < regex_.size() && regex_[pos] >= '0' && regex_[pos] <= '9') {
      value = value * 10 + size_t(regex_[pos++] - '0');
      if (++digits > 6) unsupported("repetition count too large");
    }
    if (digits == 0) unsupported("bad {n,m} quantifier");
    return value;
  }

  void parse() {
    size_t pos = 0;
    while (pos < regex_.size()) {
      const char c = regex_[pos];
      if (c == '(' || c == ')' || c == '|') unsupported("groups and alternation");
      if (c == '^' || c == '$') unsupported("anchors");
      if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (items_.empty() || quantified_) unsupported("a quantifier without an atom");
        item& last = items_.back();
        ++pos;
        if (c == '*') last.min = 0, last.max = SIZE_MAX;
        if (c == '+') last.min = 1, last.max = SIZE_MAX;
        if (c == '?') last.min = 0, last.max = 1;
        if (c == '{') {
          last.min = parse_number(pos);
          last.max = last.min;
          if (pos < regex_.size() && regex_[pos] == ',') {
            ++pos;
            last.max = pos < regex_.size() && regex_[pos] == '}' ? SIZE_MAX : parse_number(pos);
          }
          if (pos >= regex_.size() || regex_[pos] != '}' || last.max < last.min) unsupported("bad {n,m} quantifier");
          ++pos;
        }
        if (pos < regex_.size() && (regex_[pos] == '?' || regex_[pos] == '+')) unsupported("lazy or possessive quantifiers");
        quantified_ = true;
        continue;
      }
      item atom;
      if (c == '[') {
        ++pos;
        atom.cls = parse_bracket(pos);
      } else if (c == '\\') {
        ++pos;
        parse_escape(pos, atom.cls.tests);
      } else if (c == '.') {
        ++pos;
        atom.cls.tests.push_back({class_test::kind_any_but_newline});
      } else {
        class_test test;
        test.kind = class_test::kind_range;
        test.first = test.last = next_cp(pos);
        atom.cls.tests.push_back(test);
      }
      items_.push_back(std::move(atom));
      quantified_ = false;
    }
  }

  std::string where_;
  std::string regex_;
  std::vector<item> items_;
  bool quantified_ = false;
};

}  // namespace

std::string replace_all(const text_pattern& pattern, std::string_view text, std::string_view content) {
  std::vector<text_span> matches;
  pattern.find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t previous = 0;
  for (const auto& [begin, end] : matches) {
    out.append(text.substr(previous, begin - previous));
    out.append(content);
    previous = end;
  }
  out.append(text.substr(previous));
  return out;
}

std::unique_ptr<text_pattern> text_pattern_literal(std::string literal) {
  return std::make_unique<literal_pattern>(std::move(literal));
}

std::unique_ptr<text_pattern> text_pattern_regex(const std::string& regex, const std::string& where) {
  constexpr std::string_view llama3_regex =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  constexpr std::string_view qwen2_regex =
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
      "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  if (regex == gpt2_regex) return std::make_unique<pretokenizer_regex>(false, 0);
  if (regex == llama3_regex) return std::make_unique<pretokenizer_regex>(true, 3);
  if (regex == qwen2_regex) return std::make_unique<pretokenizer_regex>(true, 1);
  return std::make_unique<simple_regex>(regex, where);
}

std::unique_ptr<text_pattern> text_pattern_from_json(const json_node& node) {
  if (auto literal = node.find("String")) return text_pattern_literal(literal->string());
  if (auto regex = node.find("Regex")) return text_pattern_regex(regex->string(), node.where());
  node.fail("{\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace wax
