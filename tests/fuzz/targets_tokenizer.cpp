// Kept apart from targets.cpp so that the other two targets build while src/tokenizers/ is young.
#include "targets.h"

#include "core/error.h"
#include "tokenizers/tokenizer.h"

namespace wax::fuzz {

void tokenizer_json(const uint8_t* data, size_t size) {
  try {
    const tokenizer t = tokenizer::from_json(std::string_view(reinterpret_cast<const char*>(data), size));
    const auto encoded = t.encode("Hello, world! In the beginning\t  ÿ €100 <s>\n", true);
    (void)t.decode(encoded.ids, false);
    (void)t.decode(encoded.ids, true);
  } catch (const error&) {
  }
}

}  // namespace wax::fuzz
