#include "tokenizers/decoders.h"

#include <algorithm>
#include <utility>

#include "tokenizers/byte_level.h"
#include "tokenizers/json_node.h"
#include "tokenizers/pattern.h"
#include "tokenizers/unicode.h"

namespace wax {

namespace {

void replace_every(std::string& text, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t previous = 0;
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + from.size())) {
    out.append(text, previous, at - previous);
    out.append(to);
    previous = at + from.size();
  }
  if (previous == 0) return;
  out.append(text, previous);
  text = std::move(out);
}

class sequence_decoder final : public decoder {
 public:
  explicit sequence_decoder(std::vector<std::unique_ptr<decoder>> steps) : steps_(std::move(steps)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (const auto& step : steps_) step->decode_chain(tokens);
  }

 private:
  std::vector<std::unique_ptr<decoder>> steps_;
};

// GPT-2 characters back to bytes (a token with any other character keeps its own bytes), then
// the bytes as UTF-8 with U+FFFD for invalid sequences.
class byte_level_decoder final : public decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string bytes;
    for (const std::string& token : tokens) {
      const size_t mark = bytes.size();
      bool mapped = true;
      for (size_t pos = 0; pos < token.size() && mapped;) {
        const int b = byte_level_byte(unicode::utf8_next(token, pos));
        if (b < 0) mapped = false;
        else bytes.push_back(char(b));
      }
      if (!mapped) {
        bytes.resize(mark);
        bytes += token;
      }
    }
    tokens.assign(1, unicode::utf8_sanitize(bytes));
  }
};

// The replacement becomes a space, except in the first token when a prefix was prepended.
class metaspace_decoder final : public decoder {
 public:
  metaspace_decoder(char32_t replacement, bool prepended) : replacement_(replacement), prepended_(prepended) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::u32string out;
      for (char32_t c : unicode::utf8_decode(tokens[i])) {
        if (c != replacement_) out.push_back(c);
        else if (!(i == 0 && prepended_)) out.push_back(' ');
      }
      tokens[i] = unicode::utf8_encode(out);
    }
  }

 private:
  char32_t replacement_;
  bool prepended_;
};

class wordpiece_decoder final : public decoder {
 public:
  wordpiece_decoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) token.erase(0, prefix_.size());
        else token = " " + token;
      }
      if (cleanup_) token = clean_up_tokenization(std::move(token), true);
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// BPEDecoder: the end-of-word suffix becomes a space (nothing after the last token).
class bpe_decoder final : public decoder {
 public:
  explicit bpe_decoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (size_t i = 0; i < tokens.size(); ++i) replace_every(tokens[i], suffix_, i + 1 == tokens.size() ? "" : " ");
  }

 private:
  std::string suffix_;
};

class ctc_decoder final : public decoder {
 public:
  ctc_decoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      std::string token = tokens[i];
      replace_every(token, pad_, "");
      if (cleanup_) {
        token = clean_up_tokenization(std::move(token), true);
        replace_every(token, delimiter_, " ");
      }
      if (!token.empty()) out.push_back(std::move(token));
    }
    tokens = std::move(out);
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

class replace_decoder final : public decoder {
 public:
  replace_decoder(std::unique_ptr<text_pattern> pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) token = replace_all(*pattern_, token, content_);
  }

 private:
  std::unique_ptr<text_pattern> pattern_;
  std::string content_;
};

// Runs of <0xXX> tokens become their bytes, decoded with U+FFFD for each ill-formed part (as
// SentencePiece and transformers.js do). Rust tokenizers instead replaces every byte of a run that
// is not valid as a whole, so "4" "\x18" "\xB5" decodes to "4\x18\uFFFD" here and "\uFFFD" x3
// there: we follow the former, which the upstream end-to-end references were written with.
class byte_fallback_decoder final : public decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::vector<std::string> out;
    std::string bytes;
    size_t byte_tokens = 0;
    const auto flush = [&] {
      if (byte_tokens == 0) return;
      out.push_back(unicode::utf8_sanitize(bytes));
      bytes.clear();
      byte_tokens = 0;
    };
    for (auto& token : tokens) {
      int value = -1;
      if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>') value = parse_hex_byte(token[3], token[4]);
      if (value >= 0) {
        bytes.push_back(char(value));
        ++byte_tokens;
        continue;
      }
      flush();
      out.push_back(std::move(token));
    }
    flush();
    tokens = std::move(out);
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static int parse_hex_byte(char high, char low) {
    const int h = hex_digit(high), l = hex_digit(low);
    return h < 0 || l < 0 ? -1 : h * 16 + l;
  }
};

class fuse_decoder final : public decoder {
 public:
  void decode_chain(std::vector<std::string>& tokens) const override {
    std::string joined;
    for (const auto& token : tokens) joined += token;
    tokens.assign(1, std::move(joined));
  }
};

// Removes up to `start` leading and `stop` trailing `content` characters from each token.
class strip_decoder final : public decoder {
 public:
  strip_decoder(char32_t content, size_t start, size_t stop) : content_(content), start_(start), stop_(stop) {}
  void decode_chain(std::vector<std::string>& tokens) const override {
    for (auto& token : tokens) {
      const std::u32string cps = unicode::utf8_decode(token);
      size_t begin = 0, end = cps.size();
      while (begin < start_ && begin < end && cps[begin] == content_) ++begin;
      for (size_t i = 0; i < stop_ && end > begin && cps[end - 1] == content_; ++i) --end;
      token = unicode::utf8_encode(std::u32string_view(cps).substr(begin, end - begin));
    }
  }

 private:
  char32_t content_;
  size_t start_, stop_;
};

char32_t single_char(const json_node& node) {
  const std::u32string cps = unicode::utf8_decode(node.string());
  if (cps.size() != 1) node.fail("a single character");
  return cps[0];
}

size_t count(const json_node& node, std::string_view key) {
  const int64_t value = node.integer(key, 0);
  if (value < 0) node.at(key).fail("a non-negative integer");
  return size_t(value);
}

}  // namespace

namespace {

// transformers' clean_up_tokenization, in its order; the WordPiece decoder's " do not" goes after " 'm".
constexpr std::pair<std::string_view, std::string_view> cleanup_replacements[] = {
    {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"}, {" 'm", "'m"},
    {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};

}  // namespace

std::string clean_up_tokenization(std::string text, bool wordpiece) {
  for (const auto& [from, to] : cleanup_replacements) {
    replace_every(text, from, to);
    if (wordpiece && from == " 'm") replace_every(text, " do not", " don't");
  }
  return text;
}

size_t clean_up_pending_bytes(std::string_view text) {
  size_t longest = 0;
  for (const auto& [from, to] : cleanup_replacements)
    for (size_t length = std::min(from.size() - 1, text.size()); length > longest; --length)
      if (text.substr(text.size() - length) == from.substr(0, length)) longest = length;
  return longest;
}

std::unique_ptr<decoder> decoder_from_json(const json_node& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type("decoder");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<decoder>> steps;
    for (const auto& step : node.at("decoders").elements())
      if (auto made = decoder_from_json(step)) steps.push_back(std::move(made));
    return std::make_unique<sequence_decoder>(std::move(steps));
  }
  if (type == "ByteLevel") return std::make_unique<byte_level_decoder>();
  if (type == "Metaspace") {
    bool prepended = node.boolean("add_prefix_space", true);
    if (auto scheme = node.find("prepend_scheme")) prepended = scheme->string() != "never";
    return std::make_unique<metaspace_decoder>(single_char(node.at("replacement")), prepended);
  }
  if (type == "WordPiece") return std::make_unique<wordpiece_decoder>(node.string("prefix", "##"), node.boolean("cleanup", true));
  if (type == "BPEDecoder") return std::make_unique<bpe_decoder>(node.string("suffix", "</w>"));
  if (type == "CTC")
    return std::make_unique<ctc_decoder>(node.string("pad_token", "<pad>"), node.string("word_delimiter_token", "|"),
                                         node.boolean("cleanup", true));
  if (type == "Replace")
    return std::make_unique<replace_decoder>(text_pattern_from_json(node.at("pattern")), node.at("content").string());
  if (type == "ByteFallback") return std::make_unique<byte_fallback_decoder>();
  if (type == "Fuse") return std::make_unique<fuse_decoder>();
  if (type == "Strip") return std::make_unique<strip_decoder>(single_char(node.at("content")), count(node, "start"), count(node, "stop"));
  node.at("type").fail_unknown("decoder", type,
                               "ByteLevel, Metaspace, WordPiece, BPEDecoder, CTC, Replace, ByteFallback, Fuse, Strip, Sequence");
}

}  // namespace wax
