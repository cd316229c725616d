// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length N, N bytes of JSON mapping tensor names to {dtype, shape, data_offsets}, then the data
// section. Everything in the header is checked before any byte of data is trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/weight_view.h"

namespace wax {

// Headers above this are refused: the reference implementation uses the same cap, and a header
// that large is an attack or a corrupt length, never a model.
inline constexpr uint64_t safetensors_max_header_bytes = 100ull << 20;

struct safetensors_entry {
  std::string name;
  dtype type;
  shape_t shape;
  uint64_t begin;  // offsets into the data section
  uint64_t end;
};

struct safetensors_header {
  std::vector<safetensors_entry> entries;  // sorted by begin
  std::map<std::string, std::string> metadata;
  uint64_t data_offset;  // 8 + header length: where the data section starts in the file
};

// Reads the 8-byte length prefix and checks it against the file size.
uint64_t safetensors_header_length(const std::byte* first_8_bytes, uint64_t file_size,
                                   const std::string& file_name);

// Parses and validates the JSON header; `data_size` is the length of the data section.
safetensors_header safetensors_parse_header(std::string_view header_json, uint64_t header_length,
                                            uint64_t data_size, const std::string& file_name);

// A header read ahead of its data (to plan a download or a streamed load): `prefix` holds the
// file's first `prefix_size` bytes (the 8-byte length, then as much of the header as arrived) and
// `file_size` what the whole file holds, when known. Checked as safetensors_parse checks it; a
// tensor's end past the data section only when the file's size is known.
safetensors_header safetensors_read_header(const std::byte* prefix, uint64_t prefix_size,
                                           std::optional<uint64_t> file_size, const std::string& file_name);

// The whole file in memory: validates it, then returns views into `bytes` (which must outlive them).
std::map<std::string, weight_view> safetensors_parse(const std::byte* bytes, uint64_t size,
                                                     const std::string& file_name);

}  // namespace wax
