// A Hugging Face `tokenizer.json` tokenizer with the semantics of the Rust `tokenizers` library
// (the "fast" tokenizers of transformers): added tokens are split off the raw text first (longest
// match), the rest goes through normalizer → pre-tokenizer → model (BPE, WordPiece, WordLevel),
// then the post-processor adds the special tokens; decode runs the decoder chain.
// Reference: https://github.com/huggingface/tokenizers (tokenizers/src/tokenizer/mod.rs).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wax {

// The error code for a tokenizer.json (or tokenizer_config.json) that cannot be read.
inline constexpr const char* error_bad_tokenizer = "WAX_BAD_TOKENIZER";

struct tokenizer_state;

class tokenizer {
 public:
  // Reads tokenizer.json and, optionally, tokenizer_config.json (of which only
  // `clean_up_tokenization_spaces` is used, as transformers applies it after decoding).
  // Throws wax::error: error_bad_tokenizer naming the field for malformed files,
  // error_unsupported for valid features wax does not implement (Unigram, unknown regexes).
  static tokenizer from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json = "");

  struct encoding {
    std::vector<int32_t> ids;
    std::vector<int32_t> type_ids;
    std::vector<uint8_t> special_tokens_mask;  // 1 where the post-processor added the token
  };
  // `text` is UTF-8; invalid bytes read as U+FFFD.
  encoding encode(std::string_view text, bool add_special_tokens = true) const;
  encoding encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens = true) const;
  // Unknown ids are skipped, as the Rust library does.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = false) const;
  // Whether decode ends with transformers' clean_up_tokenization (tokenizer_config.json's
  // clean_up_tokenization_spaces).
  bool cleans_up_spaces() const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  // Distinct tokens of the model vocabulary and the added tokens together (len(tokenizer) in
  // transformers).
  size_t vocab_size() const;

 private:
  explicit tokenizer(std::shared_ptr<const tokenizer_state> state) : state_(std::move(state)) {}
  // Immutable once built (the BPE word cache inside is guarded), so copies share it.
  std::shared_ptr<const tokenizer_state> state_;
};

}  // namespace wax
