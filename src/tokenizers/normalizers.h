// tokenizer.json "normalizer": text → text before pre-tokenization (and before matching the
// added tokens that have `normalized: true`). Offsets are not tracked: wax returns ids only.
#pragma once

#include <memory>
#include <string>

namespace wax {

class json_node;

class normalizer {
 public:
  virtual ~normalizer() = default;
  virtual void normalize(std::string& text) const = 0;  // valid UTF-8 in, valid UTF-8 out
};

// Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Strip, StripAccents, Prepend, Replace, Nmt,
// ByteLevel and BertNormalizer; null gives nullptr.
std::unique_ptr<normalizer> normalizer_from_json(const json_node& node);

}  // namespace wax
