// Incremental detokenization: ids go in one at a time, new text comes out, with constant work a
// token. Decoding the whole sequence again after every token (what a streamer or a stop-string
// check does naively) costs O(n) a token, O(n²) a generation. As the Rust library's DecodeStream,
// each push decodes only a window: the ids of the last piece given out (context, decoded as
// `prefix_`, so that decoders which treat a sequence's first token apart — Metaspace's leading
// space, cleanup of " ." — see the same neighbourhood as in a full decode) and the ids after it.
// Text is given out in whole characters, as transformers' TextStreamer releases it: a trailing
// U+FFFD (an incomplete UTF-8 or byte-fallback sequence) is held until the bytes complete it,
// and so is an end that clean_up_tokenization may still change (" n" before "'t").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenizers/tokenizer.h"

namespace wax {

class decode_stream {
 public:
  // The tokenizer must outlive the stream.
  explicit decode_stream(const tokenizer& t, bool skip_special_tokens = true)
      : tokenizer_(&t), skip_special_tokens_(skip_special_tokens) {}

  // The text `id` completes (empty while it is held back or decodes to nothing).
  std::string push(int32_t id);
  // What is held back (an incomplete character, an end cleanup may change), as decode gives it;
  // the stream starts afresh.
  std::string finish();

 private:
  const tokenizer* tokenizer_;
  bool skip_special_tokens_;
  std::vector<int32_t> window_;  // context ids, then the ids not yet given out in full
  size_t context_ = 0;           // leading ids of window_ whose text is prefix_
  std::string prefix_;           // decode(context)
  size_t given_ = 0;             // bytes past prefix_ of the window's text already given out
};

}  // namespace wax
