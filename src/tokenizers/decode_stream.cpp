#include "tokenizers/decode_stream.h"

#include <algorithm>

#include "tokenizers/decoders.h"

namespace wax {
namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of `text` without its trailing U+FFFD characters (bytes that may yet complete one).
size_t settled_length(const std::string& text) {
  size_t end = text.size();
  while (end >= replacement_character.size() &&
         std::string_view(text).substr(end - replacement_character.size()) == replacement_character)
    end -= replacement_character.size();
  return end;
}

}  // namespace

std::string decode_stream::push(int32_t id) {
  window_.push_back(id);
  std::string text = tokenizer_->decode(window_, skip_special_tokens_);
  if (text.compare(0, prefix_.size(), prefix_) != 0) {
    // The new ids changed the context's own text (no decoder of the fixtures does this): go on
    // without the context rather than take back text already given out.
    window_.erase(window_.begin(), window_.begin() + std::ptrdiff_t(context_));
    context_ = 0;
    prefix_.clear();
    text = tokenizer_->decode(window_, skip_special_tokens_);
  }
  size_t settled = settled_length(text);
  if (tokenizer_->cleans_up_spaces()) settled -= clean_up_pending_bytes(std::string_view(text).substr(0, settled));
  const size_t from = std::min(prefix_.size() + given_, settled);
  std::string piece = text.substr(from, settled - from);
  given_ += piece.size();
  if (settled == text.size() && text.size() > prefix_.size()) {  // all given out: the new ids become the context
    window_.erase(window_.begin(), window_.begin() + std::ptrdiff_t(context_));
    context_ = window_.size();
    prefix_ = tokenizer_->decode(window_, skip_special_tokens_);
    given_ = 0;
  }
  return piece;
}

std::string decode_stream::finish() {
  const std::string text = tokenizer_->decode(window_, skip_special_tokens_);
  std::string rest = text.substr(std::min(prefix_.size() + given_, text.size()));
  *this = decode_stream(*tokenizer_, skip_special_tokens_);
  return rest;
}

}  // namespace wax
