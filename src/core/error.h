// The one error type for bad input, bad files and out-of-memory. The binding layer turns it into a
// JavaScript Error whose `code` is `code()`; our own invariants use assert instead.
#pragma once

#include <stdexcept>
#include <string>

namespace wax {

// Stable codes that JavaScript callers can switch on.
inline constexpr const char* error_bad_safetensors = "WAX_BAD_SAFETENSORS";
inline constexpr const char* error_bad_config = "WAX_BAD_CONFIG";
inline constexpr const char* error_bad_weights = "WAX_BAD_WEIGHTS";
inline constexpr const char* error_bad_input = "WAX_BAD_INPUT";
inline constexpr const char* error_unsupported = "WAX_UNSUPPORTED";
inline constexpr const char* error_out_of_memory = "WAX_OUT_OF_MEMORY";
inline constexpr const char* error_too_large = "WAX_TOO_LARGE";  // more than wasm32 can ever address

class error : public std::runtime_error {
 public:
  error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace wax
