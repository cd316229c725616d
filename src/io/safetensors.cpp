#include "io/safetensors.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/config.h"

namespace wax {
namespace {

[[noreturn]] void fail(const std::string& file_name, const std::string& message) {
  throw error(error_bad_safetensors, file_name + ": " + message);
}

std::string quoted(const std::string& name) { return "'" + name + "'"; }

uint64_t read_offset(const json& value, const std::string& file_name, const std::string& where) {
  if (!value.is_number_unsigned())
    fail(file_name, where + " must be a non-negative integer, got " + json_describe(value));
  return value.get<uint64_t>();
}

safetensors_entry parse_entry(const std::string& name, const json& spec, uint64_t data_size,
                              const std::string& file_name) {
  const std::string where = "tensor " + quoted(name);
  if (!spec.is_object()) fail(file_name, where + ": expected an object, got " + json_describe(spec));
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!spec.contains(key)) fail(file_name, where + ": missing field '" + key + "'");

  const json& dtype_json = spec["dtype"];
  if (!dtype_json.is_string()) fail(file_name, where + ": 'dtype' must be a string, got " + json_describe(dtype_json));
  auto type = dtype_from_name(dtype_json.get<std::string>());
  if (!type)
    fail(file_name, where + ": unknown dtype " + json_describe(dtype_json) +
                        " (expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E4M3, F8_E5M2)");

  const json& shape_json = spec["shape"];
  if (!shape_json.is_array()) fail(file_name, where + ": 'shape' must be an array, got " + json_describe(shape_json));
  shape_t shape;
  uint64_t numel = 1;
  bool overflow = false;
  for (const json& dim : shape_json) {
    uint64_t size = read_offset(dim, file_name, where + ": each shape dimension");
    if (size > uint64_t(std::numeric_limits<int64_t>::max())) overflow = true;
    if (size != 0 && numel > std::numeric_limits<uint64_t>::max() / size) overflow = true;
    numel *= size;
    shape.push_back(int64_t(size));
  }

  const json& offsets = spec["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2)
    fail(file_name, where + ": 'data_offsets' must be [begin, end], got " + json_describe(offsets));
  uint64_t begin = read_offset(offsets[0], file_name, where + ": data_offsets[0]");
  uint64_t end = read_offset(offsets[1], file_name, where + ": data_offsets[1]");
  if (begin > end)
    fail(file_name, where + ": data_offsets begin " + std::to_string(begin) + " is after end " + std::to_string(end));
  if (end > data_size)
    fail(file_name, where + ": data_offsets end " + std::to_string(end) + " is past the data section (" +
                        std::to_string(data_size) + " bytes; the file may be truncated)");

  size_t element_size = dtype_size(*type);
  if (overflow || numel > std::numeric_limits<uint64_t>::max() / element_size)
    fail(file_name, where + ": shape " + shape_to_string(shape) + " is too large");
  if (numel * element_size != end - begin)
    fail(file_name, where + ": shape " + shape_to_string(shape) + " of " + std::string(dtype_name(*type)) +
                        " needs " + std::to_string(numel * element_size) + " bytes, but data_offsets span " +
                        std::to_string(end - begin));
  return {name, *type, std::move(shape), begin, end};
}

}  // namespace

uint64_t safetensors_header_length(const std::byte* first_8_bytes, uint64_t file_size,
                                   const std::string& file_name) {
  if (file_size < 8)
    fail(file_name, "file is " + std::to_string(file_size) +
                        " bytes, too short for the 8-byte header length (truncated or not a safetensors file)");
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | uint64_t(first_8_bytes[i]);
  if (length > safetensors_max_header_bytes)
    fail(file_name, "header length " + std::to_string(length) + " exceeds the " +
                        std::to_string(safetensors_max_header_bytes) + "-byte limit (corrupt or not a safetensors file)");
  if (length > file_size - 8)
    fail(file_name, "header length " + std::to_string(length) + " runs past the end of the file (" +
                        std::to_string(file_size) + " bytes; truncated?)");
  return length;
}

safetensors_header safetensors_parse_header(std::string_view header_json, uint64_t header_length,
                                            uint64_t data_size, const std::string& file_name) {
  json header = json_parse(header_json, file_name + ": header", error_bad_safetensors);
  if (!header.is_object()) fail(file_name, "header must be a JSON object, got " + std::string(header.type_name()));

  safetensors_header result;
  result.data_offset = 8 + header_length;
  for (const auto& [name, spec] : header.items()) {
    if (name == "__metadata__") {
      if (!spec.is_object()) fail(file_name, "'__metadata__' must be an object of strings");
      for (const auto& [key, value] : spec.items()) {
        if (!value.is_string()) fail(file_name, "'__metadata__' entry '" + key + "' must be a string");
        result.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    result.entries.push_back(parse_entry(name, spec, data_size, file_name));
  }

  std::sort(result.entries.begin(), result.entries.end(),
            [](const auto& a, const auto& b) { return a.begin != b.begin ? a.begin < b.begin : a.end < b.end; });
  for (size_t i = 1; i < result.entries.size(); ++i) {
    const auto& previous = result.entries[i - 1];
    const auto& current = result.entries[i];
    if (current.begin < previous.end)
      fail(file_name, "tensors " + quoted(previous.name) + " [" + std::to_string(previous.begin) + ", " +
                          std::to_string(previous.end) + ") and " + quoted(current.name) + " [" +
                          std::to_string(current.begin) + ", " + std::to_string(current.end) + ") overlap");
  }
  return result;
}

safetensors_header safetensors_read_header(const std::byte* prefix, uint64_t prefix_size,
                                           std::optional<uint64_t> file_size, const std::string& file_name) {
  const uint64_t length = safetensors_header_length(prefix, file_size.value_or(prefix_size), file_name);
  if (prefix_size < 8 + length) safetensors_header_length(prefix, prefix_size, file_name);  // the header came short
  std::string_view header_json(reinterpret_cast<const char*>(prefix + 8), length);
  const uint64_t data_size = file_size ? *file_size - 8 - length : std::numeric_limits<uint64_t>::max();
  return safetensors_parse_header(header_json, length, data_size, file_name);
}

std::map<std::string, weight_view> safetensors_parse(const std::byte* bytes, uint64_t size,
                                                     const std::string& file_name) {
  uint64_t header_length = safetensors_header_length(bytes, size, file_name);
  std::string_view header_json(reinterpret_cast<const char*>(bytes + 8), header_length);
  safetensors_header header =
      safetensors_parse_header(header_json, header_length, size - 8 - header_length, file_name);

  std::map<std::string, weight_view> views;
  const std::byte* data = bytes + header.data_offset;
  for (auto& entry : header.entries)
    views[entry.name] = weight_view{entry.type, std::move(entry.shape), data + entry.begin, static_cast<size_t>(entry.end - entry.begin)};
  return views;
}

}  // namespace wax
