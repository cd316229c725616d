#include "targets.h"

#include <cstring>
#include <string>

#include "core/byte_buffer.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "io/weights.h"
#include "models/causal_lm.h"

namespace wax::fuzz {

void safetensors_file(const uint8_t* data, size_t size) {
  try {
    // A malloc'd copy of exactly `size` bytes, as JS hands files over: ASan sees any overread.
    byte_buffer bytes = byte_buffer::allocate(size);
    if (size) std::memcpy(bytes.data(), data, size);
    weights w;
    w.add_file("fuzz.safetensors", std::move(bytes));
    (void)w.weight_bytes();
  } catch (const error&) {
  }
}

void config_json(const uint8_t* data, size_t size) {
  try {
    causal_lm_load(std::string_view(reinterpret_cast<const char*>(data), size), weights());
  } catch (const error&) {
  }
}

}  // namespace wax::fuzz
