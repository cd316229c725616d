#include "tokenizers/unicode.h"

#include <algorithm>

#include "tokenizers/unicode_tables.h"

namespace wax::unicode {

namespace {

// Hangul syllables compose and decompose algorithmically (Unicode §3.12).
constexpr char32_t hangul_s_base = 0xAC00, hangul_l_base = 0x1100, hangul_v_base = 0x1161,
                   hangul_t_base = 0x11A7;
constexpr uint32_t hangul_l_count = 19, hangul_v_count = 21, hangul_t_count = 28;
constexpr uint32_t hangul_n_count = hangul_v_count * hangul_t_count, hangul_s_count = hangul_l_count * hangul_n_count;

bool in_ranges(std::span<const uint32_t> pairs, char32_t cp) {
  // pairs = [first0, last0, first1, last1, ...]: find the last pair whose first <= cp.
  size_t lo = 0, hi = pairs.size() / 2;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (pairs[2 * mid] <= cp) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && cp <= pairs[2 * (lo - 1) + 1];
}

// The run in `runs` (packed (first << shift) | value) that holds cp.
uint32_t run_value(std::span<const uint32_t> runs, char32_t cp, int shift) {
  const uint32_t key = (uint32_t(cp) << shift) | ((1u << shift) - 1);
  auto it = std::upper_bound(runs.begin(), runs.end(), key);
  return it == runs.begin() ? 0 : (*(it - 1) & ((1u << shift) - 1));
}

void decompose(char32_t cp, bool compatibility, std::u32string& out) {
  if (cp >= hangul_s_base && cp < hangul_s_base + hangul_s_count) {
    const uint32_t index = cp - hangul_s_base;
    out.push_back(hangul_l_base + index / hangul_n_count);
    out.push_back(hangul_v_base + (index % hangul_n_count) / hangul_t_count);
    if (index % hangul_t_count != 0) out.push_back(hangul_t_base + index % hangul_t_count);
    return;
  }
  if (cp < 0xA0) {  // nothing below U+00A0 decomposes
    out.push_back(cp);
    return;
  }
  const auto keys = unicode_tables::decomposition_keys();
  auto it = std::lower_bound(keys.begin(), keys.end(), uint32_t(cp) << 1);
  if (it == keys.end() || (*it >> 1) != cp || ((*it & 1) && !compatibility)) {
    out.push_back(cp);
    return;
  }
  const uint32_t value = unicode_tables::decomposition_values()[size_t(it - keys.begin())];
  const auto parts = unicode_tables::decompositions().subspan(value >> 5, value & 31);
  for (uint32_t part : parts) decompose(part, compatibility, out);
}

// Canonical ordering: stable sort of each run of non-starters by combining class.
void reorder(std::u32string& text) {
  for (size_t i = 1; i < text.size(); ++i) {
    const uint8_t ccc = combining_class(text[i]);
    if (ccc == 0) continue;
    size_t j = i;
    while (j > 0) {
      const uint8_t previous = combining_class(text[j - 1]);
      if (previous == 0 || previous <= ccc) break;
      std::swap(text[j - 1], text[j]);
      --j;
    }
  }
}

char32_t compose_pair(char32_t first, char32_t second) {
  if (first >= hangul_l_base && first < hangul_l_base + hangul_l_count && second >= hangul_v_base &&
      second < hangul_v_base + hangul_v_count)
    return hangul_s_base + ((first - hangul_l_base) * hangul_v_count + (second - hangul_v_base)) * hangul_t_count;
  if (first >= hangul_s_base && first < hangul_s_base + hangul_s_count && (first - hangul_s_base) % hangul_t_count == 0 &&
      second > hangul_t_base && second < hangul_t_base + hangul_t_count)
    return first + (second - hangul_t_base);
  const auto triples = unicode_tables::compositions();
  size_t lo = 0, hi = triples.size() / 3;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char32_t a = triples[3 * mid], b = triples[3 * mid + 1];
    if (a < first || (a == first && b < second)) lo = mid + 1;
    else hi = mid;
  }
  if (lo < triples.size() / 3 && triples[3 * lo] == first && triples[3 * lo + 1] == second) return triples[3 * lo + 2];
  return 0;
}

// Canonical composition of a decomposed, reordered text (Unicode §3.11, D117).
std::u32string compose(const std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  size_t starter = std::u32string::npos;
  uint8_t last_ccc = 0;
  for (char32_t cp : text) {
    const uint8_t ccc = combining_class(cp);
    if (starter != std::u32string::npos) {
      const bool adjacent = starter + 1 == out.size();
      if (adjacent || last_ccc < ccc) {
        if (char32_t composite = compose_pair(out[starter], cp)) {
          out[starter] = composite;
          continue;
        }
      }
    }
    if (ccc == 0) starter = out.size();
    last_ccc = ccc;
    out.push_back(cp);
  }
  return out;
}

}  // namespace

category category_of(char32_t cp) {
  if (cp < 0x100) return category(unicode_tables::latin1_categories()[cp]);
  if (cp > 0x10FFFF) return category::category_Cn;
  return category(run_value(unicode_tables::category_runs(), cp, 5));
}

bool is_white_space(char32_t cp) {
  if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D);
  return in_ranges(unicode_tables::white_space_ranges(), cp);
}

bool is_word(char32_t cp) { return in_ranges(unicode_tables::word_ranges(), cp); }

uint8_t combining_class(char32_t cp) {
  if (cp < 0x300) return 0;
  return uint8_t(run_value(unicode_tables::combining_class_runs(), cp, 8));
}

char32_t utf8_next(std::string_view text, size_t& pos) {
  const auto byte = [&](size_t i) { return uint8_t(text[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  size_t length;
  char32_t cp;
  uint8_t low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0F;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    ++pos;
    return replacement_character;
  }
  size_t i = pos + 1;
  for (size_t k = 1; k < length; ++k, ++i) {
    const uint8_t lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xBF;
    if (i >= text.size() || byte(i) < lo || byte(i) > hi) {
      pos = i;  // the maximal valid prefix becomes one U+FFFD; the offending byte is read next
      return replacement_character;
    }
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  pos = i;
  return cp;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

std::string utf8_sanitize(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    const size_t start = pos;
    const char32_t cp = utf8_next(bytes, pos);
    if (cp == replacement_character) utf8_append(out, cp);
    else out.append(bytes.substr(start, pos - start));
  }
  return out;
}

std::u32string utf8_decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) out.push_back(utf8_next(text, pos));
  return out;
}

std::string utf8_encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) utf8_append(out, cp);
  return out;
}

std::u32string normalize(std::u32string_view text, normal_form form) {
  const bool compatibility = form == normal_form::normal_form_nfkc || form == normal_form::normal_form_nfkd;
  std::u32string decomposed;
  decomposed.reserve(text.size());
  for (char32_t cp : text) decompose(cp, compatibility, decomposed);
  reorder(decomposed);
  if (form == normal_form::normal_form_nfd || form == normal_form::normal_form_nfkd) return decomposed;
  return compose(decomposed);
}

std::string normalize(std::string_view text, normal_form form) {
  if (is_ascii(text)) return std::string(text);  // ASCII is invariant under all four forms
  return utf8_encode(normalize(utf8_decode(text), form));
}

void append_lowercase(std::u32string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  const auto special = unicode_tables::special_lowercase();
  for (size_t i = 0; i < special.size(); i += 3)
    if (special[i] == cp) {
      out.push_back(special[i + 1]);
      out.push_back(special[i + 2]);
      return;
    }
  const auto runs = unicode_tables::lowercase_runs();
  size_t lo = 0, hi = runs.size() / 4;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (char32_t(runs[4 * mid]) <= cp) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0) {
    const int32_t* run = &runs[4 * (lo - 1)];
    const uint32_t offset = cp - char32_t(run[0]);
    if (offset % uint32_t(run[2]) == 0 && offset / uint32_t(run[2]) < uint32_t(run[1])) {
      out.push_back(char32_t(int32_t(cp) + run[3]));
      return;
    }
  }
  out.push_back(cp);
}

std::string lowercase(std::string_view text) {
  if (is_ascii(text)) {
    std::string out(text);
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = char(c + 32);
    return out;
  }
  std::u32string lowered;
  lowered.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) append_lowercase(lowered, utf8_next(text, pos));
  return utf8_encode(lowered);
}

}  // namespace wax::unicode
