// The Unicode Character Database tables that tools/gen_unicode_tables.py writes into
// unicode_tables.cpp; their layouts are described there. Only unicode.cpp reads them.
#pragma once

#include <cstdint>
#include <span>

namespace wax::unicode_tables {

std::span<const uint32_t> category_runs();         // (first << 5) | category, sorted by first
std::span<const uint8_t> latin1_categories();      // category of U+0000..U+00FF
std::span<const uint32_t> white_space_ranges();    // inclusive [first, last] pairs
std::span<const uint32_t> word_ranges();           // inclusive [first, last] pairs
std::span<const uint32_t> combining_class_runs();  // (first << 8) | class
std::span<const uint32_t> decomposition_keys();    // (cp << 1) | is_compatibility, sorted
std::span<const uint32_t> decomposition_values();  // (offset << 5) | length into decompositions()
std::span<const uint32_t> decompositions();
std::span<const uint32_t> compositions();          // (first, second, composite) triples, sorted
std::span<const int32_t> lowercase_runs();         // (first, count, stride, delta) quadruples
std::span<const uint32_t> special_lowercase();     // (cp, first, second) triples

}  // namespace wax::unicode_tables
