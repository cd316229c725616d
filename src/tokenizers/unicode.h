// Unicode for the tokenizers: UTF-8 decoding that never fails, general categories and the
// properties the Hugging Face tokenizers test (Rust's char methods and regex classes), the four
// normalization forms and lowercase. All tables come from unicode_tables.cpp, generated from the
// Unicode Character Database by tools/gen_unicode_tables.py.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wax::unicode {

// General_Category values, in the order tools/gen_unicode_tables.py writes them.
enum class category : uint8_t {
  category_Lu, category_Ll, category_Lt, category_Lm, category_Lo,
  category_Mn, category_Mc, category_Me,
  category_Nd, category_Nl, category_No,
  category_Pc, category_Pd, category_Ps, category_Pe, category_Pi, category_Pf, category_Po,
  category_Sm, category_Sc, category_Sk, category_So,
  category_Zs, category_Zl, category_Zp,
  category_Cc, category_Cf, category_Cs, category_Co, category_Cn,
};

category category_of(char32_t cp);
inline bool is_letter(char32_t cp) { return category_of(cp) <= category::category_Lo; }  // \p{L}
inline bool is_mark(char32_t cp) {                                                           // \p{M}
  auto c = category_of(cp);
  return c >= category::category_Mn && c <= category::category_Me;
}
inline bool is_number(char32_t cp) {  // \p{N}, Rust char::is_numeric
  auto c = category_of(cp);
  return c >= category::category_Nd && c <= category::category_No;
}
inline bool is_punctuation(char32_t cp) {  // \p{P}
  auto c = category_of(cp);
  return c >= category::category_Pc && c <= category::category_Po;
}
inline bool is_other(char32_t cp) { return category_of(cp) >= category::category_Cc; }  // \p{C}
bool is_white_space(char32_t cp);  // White_Space: regex \s, Rust char::is_whitespace
bool is_word(char32_t cp);         // regex \w: Alphabetic | M | Nd | Pc | Join_Control
uint8_t combining_class(char32_t cp);

// UTF-8. Invalid input decodes as U+FFFD per maximal ill-formed subsequence (as Rust's
// String::from_utf8_lossy and the WHATWG decoder do); `pos` always advances.
inline constexpr char32_t replacement_character = 0xFFFD;
char32_t utf8_next(std::string_view text, size_t& pos);
void utf8_append(std::string& out, char32_t cp);
std::string utf8_sanitize(std::string_view bytes);  // a valid UTF-8 copy
std::u32string utf8_decode(std::string_view text);
std::string utf8_encode(std::u32string_view cps);
inline bool is_ascii(std::string_view text) {
  for (unsigned char c : text)
    if (c >= 0x80) return false;
  return true;
}

enum class normal_form { normal_form_nfc, normal_form_nfd, normal_form_nfkc, normal_form_nfkd };
std::u32string normalize(std::u32string_view text, normal_form form);
std::string normalize(std::string_view text, normal_form form);

// Rust char::to_lowercase for each character: simple mappings plus the unconditional
// multi-character ones of SpecialCasing.txt (U+0130 → "i̇").
void append_lowercase(std::u32string& out, char32_t cp);
std::string lowercase(std::string_view text);

}  // namespace wax::unicode
