// GPT-2's reversible map from bytes to printable characters (bytes_to_unicode in openai/gpt-2
// src/encoder.py): printable Latin-1 bytes stand for themselves, the other 68 bytes become
// U+0100.. in byte order. Byte-level BPE vocabularies are written in these characters.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace wax {

namespace byte_level_detail {

constexpr bool byte_is_printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

constexpr std::array<char16_t, 256> make_byte_chars() {
  std::array<char16_t, 256> chars{};
  int next = 256;
  for (int b = 0; b < 256; ++b) chars[size_t(b)] = char16_t(byte_is_printable(b) ? b : next++);
  return chars;
}

constexpr std::array<int16_t, 324> make_char_bytes() {
  std::array<int16_t, 324> bytes{};
  for (auto& b : bytes) b = -1;
  const auto chars = make_byte_chars();
  for (int b = 0; b < 256; ++b) bytes[chars[size_t(b)]] = int16_t(b);
  return bytes;
}

}  // namespace byte_level_detail

inline constexpr std::array<char16_t, 256> byte_level_chars = byte_level_detail::make_byte_chars();
inline constexpr std::array<int16_t, 324> byte_level_bytes = byte_level_detail::make_char_bytes();

// Every byte of `bytes` as the UTF-8 of its character.
inline void byte_level_append(std::string& out, std::string_view bytes) {
  for (unsigned char b : bytes) {
    const char16_t c = byte_level_chars[b];
    if (c < 0x80) {
      out.push_back(char(c));
    } else {
      out.push_back(char(0xC0 | (c >> 6)));
      out.push_back(char(0x80 | (c & 0x3F)));
    }
  }
}
inline std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  byte_level_append(out, bytes);
  return out;
}

// The byte a character stands for, or -1.
inline int byte_level_byte(char32_t c) { return c < byte_level_bytes.size() ? byte_level_bytes[c] : -1; }

}  // namespace wax
