// tokenizer.json "decoder": token strings → text (tokenizers/src/decoders/). Each decoder maps
// the list of token strings to a new list; the tokenizer joins the final list.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace wax {

class json_node;

class decoder {
 public:
  virtual ~decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// ByteLevel, Metaspace, WordPiece, BPEDecoder, CTC, Replace, ByteFallback, Fuse, Strip and
// Sequence; null gives nullptr.
std::unique_ptr<decoder> decoder_from_json(const json_node& node);

// transformers' clean_up_tokenization: " ." → "." and the like, applied after decoding when
// tokenizer_config.json asks for clean_up_tokenization_spaces. `wordpiece` adds the WordPiece
// decoder's extra " do not" → " don't".
std::string clean_up_tokenization(std::string text, bool wordpiece = false);
// The bytes at the end of `text` that clean_up_tokenization might still change once more text
// follows (" n" before "'t"): the longest end that begins one of its patterns.
size_t clean_up_pending_bytes(std::string_view text);

}  // namespace wax
