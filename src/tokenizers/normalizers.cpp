// Each normalizer follows its namesake in tokenizers/src/normalizers/ of the Rust library.
#include "tokenizers/normalizers.h"

#include <vector>

#include "tokenizers/byte_level.h"
#include "tokenizers/json_node.h"
#include "tokenizers/pattern.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

// Rewrites every code point of `text` through `map`, which appends zero or more code points.
template <typename Map>
void map_code_points(std::string& text, Map map) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) map(unicode::utf8_next(text, pos), out);
  text = unicode::utf8_encode(out);
}

class sequence_normalizer final : public normalizer {
 public:
  explicit sequence_normalizer(std::vector<std::unique_ptr<normalizer>> steps) : steps_(std::move(steps)) {}
  void normalize(std::string& text) const override {
    for (const auto& step : steps_) step->normalize(text);
  }

 private:
  std::vector<std::unique_ptr<normalizer>> steps_;
};

class unicode_normalizer final : public normalizer {
 public:
  explicit unicode_normalizer(unicode::normal_form form) : form_(form) {}
  void normalize(std::string& text) const override { text = unicode::normalize(text, form_); }

 private:
  unicode::normal_form form_;
};

class lowercase_normalizer final : public normalizer {
 public:
  void normalize(std::string& text) const override { text = unicode::lowercase(text); }
};

// Removes leading and/or trailing White_Space.
class strip_normalizer final : public normalizer {
 public:
  strip_normalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(std::string& text) const override {
    const std::u32string cps = unicode::utf8_decode(text);
    size_t begin = 0, end = cps.size();
    if (left_)
      while (begin < end && unicode::is_white_space(cps[begin])) ++begin;
    if (right_)
      while (end > begin && unicode::is_white_space(cps[end - 1])) --end;
    text = unicode::utf8_encode(std::u32string_view(cps).substr(begin, end - begin));
  }

 private:
  bool left_, right_;
};

// Drops combining marks (General_Category M); usually after NFD.
class strip_accents_normalizer final : public normalizer {
 public:
  void normalize(std::string& text) const override {
    if (unicode::is_ascii(text)) return;
    map_code_points(text, [](char32_t cp, std::u32string& out) {
      if (!unicode::is_mark(cp)) out.push_back(cp);
    });
  }
};

class prepend_normalizer final : public normalizer {
 public:
  explicit prepend_normalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void normalize(std::string& text) const override {
    if (!text.empty()) text.insert(0, prefix_);
  }

 private:
  std::string prefix_;
};

class replace_normalizer final : public normalizer {
 public:
  replace_normalizer(std::unique_ptr<text_pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void normalize(std::string& text) const override { text = replace_all(*pattern_, text, content_); }

 private:
  std::unique_ptr<text_pattern> pattern_;
  std::string content_;
};

// Nmt: drops some control characters and maps other spaces to ' ' (normalizers/unicode.rs).
class nmt_normalizer final : public normalizer {
 public:
  void normalize(std::string& text) const override {
    map_code_points(text, [](char32_t c, std::u32string& out) {
      if ((c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F || c == 0x9F)
        return;
      const bool space = c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 || (c >= 0x200B && c <= 0x200F) ||
                         c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD;
      out.push_back(space ? ' ' : c);
    });
  }
};

class byte_level_normalizer final : public normalizer {
 public:
  void normalize(std::string& text) const override { text = byte_level_encode(text); }
};

// The CJK Unified Ideograph blocks BERT pads with spaces (normalizers/bert.rs, including its
// 0x2B920 lower bound).
constexpr char32_t bert_chinese_ranges[][2] = {
    {0x4E00, 0x9FFF},   {0x3400, 0x4DBF},   {0x20000, 0x2A6DF}, {0x2A700, 0x2B73F},
    {0x2B740, 0x2B81F}, {0x2B920, 0x2CEAF}, {0xF900, 0xFAFF},   {0x2F800, 0x2FA1F},
};

class bert_normalizer final : public normalizer {
 public:
  bert_normalizer(bool clean_text, bool handle_chinese_chars, bool strip_accents, bool lowercase)
      : clean_text_(clean_text), handle_chinese_chars_(handle_chinese_chars), strip_accents_(strip_accents),
        lowercase_(lowercase) {}

  void normalize(std::string& text) const override {
    if (clean_text_ || handle_chinese_chars_) {
      map_code_points(text, [&](char32_t c, std::u32string& out) {
        if (clean_text_) {
          const bool tab_or_newline = c == '\t' || c == '\n' || c == '\r';
          if (c == 0 || c == unicode::replacement_character || (!tab_or_newline && unicode::is_other(c))) return;
          if (tab_or_newline || unicode::is_white_space(c)) c = ' ';
        }
        if (handle_chinese_chars_ && is_chinese(c)) {
          out.push_back(' ');
          out.push_back(c);
          out.push_back(' ');
          return;
        }
        out.push_back(c);
      });
    }
    if (strip_accents_ && !unicode::is_ascii(text)) {
      std::u32string decomposed = unicode::normalize(unicode::utf8_decode(text), unicode::normal_form::normal_form_nfd);
      std::u32string kept;
      kept.reserve(decomposed.size());
      for (char32_t c : decomposed)
        if (unicode::category_of(c) != unicode::category::category_Mn) kept.push_back(c);
      text = unicode::utf8_encode(kept);
    }
    if (lowercase_) text = unicode::lowercase(text);
  }

 private:
  static bool is_chinese(char32_t c) {
    for (const auto& range : bert_chinese_ranges)
      if (c >= range[0] && c <= range[1]) return true;
    return false;
  }
  bool clean_text_, handle_chinese_chars_, strip_accents_, lowercase_;
};

}  // namespace

std::unique_ptr<normalizer> normalizer_from_json(const json_node& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type("normalizer");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<normalizer>> steps;
    for (const auto& step : node.at("normalizers").elements())
      if (auto made = normalizer_from_json(step)) steps.push_back(std::move(made));
    return std::make_unique<sequence_normalizer>(std::move(steps));
  }
  if (type == "NFC") return std::make_unique<unicode_normalizer>(unicode::normal_form::normal_form_nfc);
  if (type == "NFD") return std::make_unique<unicode_normalizer>(unicode::normal_form::normal_form_nfd);
  if (type == "NFKC") return std::make_unique<unicode_normalizer>(unicode::normal_form::normal_form_nfkc);
  if (type == "NFKD") return std::make_unique<unicode_normalizer>(unicode::normal_form::normal_form_nfkd);
  if (type == "Lowercase") return std::make_unique<lowercase_normalizer>();
  if (type == "Strip")
    return std::make_unique<strip_normalizer>(node.boolean("strip_left", true), node.boolean("strip_right", true));
  if (type == "StripAccents") return std::make_unique<strip_accents_normalizer>();
  if (type == "Prepend") return std::make_unique<prepend_normalizer>(node.at("prepend").string());
  if (type == "Replace")
    return std::make_unique<replace_normalizer>(text_pattern_from_json(node.at("pattern")), node.at("content").string());
  if (type == "Nmt") return std::make_unique<nmt_normalizer>();
  if (type == "ByteLevel") return std::make_unique<byte_level_normalizer>();
  if (type == "BertNormalizer") {
    const bool lowercase = node.boolean("lowercase", true);
    auto strip_accents = node.find("strip_accents");  // null: follows lowercase
    return std::make_unique<bert_normalizer>(node.boolean("clean_text", true), node.boolean("handle_chinese_chars", true),
                                             strip_accents ? strip_accents->boolean() : lowercase, lowercase);
  }
  if (type == "Precompiled") node.at("type").unsupported("the Precompiled (SentencePiece charsmap) normalizer is not supported");
  node.at("type").fail_unknown("normalizer", type,
                               "Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace, Nmt, "
                               "ByteLevel, BertNormalizer");
}

}  // namespace wax
