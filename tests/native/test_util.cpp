#include "test_util.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/safetensors.h"

namespace wax::testing {

std::string fixture_path(const std::string& relative) { return std::string(WAX_FIXTURES_DIR) + "/" + relative; }

byte_buffer read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  const auto size = size_t(in.tellg());
  byte_buffer bytes = byte_buffer::allocate(size);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size));
  return bytes;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

namespace {

// The value of `key` in the header's Python dict literal, e.g. '<f4' or (1, 12, 512).
std::string header_field(const std::string& header, const std::string& key, char open, char close) {
  auto at = header.find("'" + key + "'");
  if (at == std::string::npos) throw std::runtime_error("npy header lacks " + key);
  auto begin = header.find(open, at + key.size() + 2);
  auto end = header.find(close, begin + 1);
  return header.substr(begin + 1, end - begin - 1);
}

template <typename T>
void widen(const std::byte* data, size_t count, std::vector<double>& out) {
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, data + i * sizeof(T), sizeof(T));
    out.push_back(double(value));
  }
}

}  // namespace

npy_array read_npy(const std::string& path) {
  byte_buffer bytes = read_file(path);
  const auto* raw = bytes.data();
  if (bytes.size() < 10 || std::memcmp(raw, "\x93NUMPY", 6) != 0) throw std::runtime_error(path + ": not a .npy file");
  const int major = int(raw[6]);
  size_t header_length, header_start;
  if (major == 1) {
    header_length = size_t(raw[8]) | size_t(raw[9]) << 8;
    header_start = 10;
  } else {
    header_length = size_t(raw[8]) | size_t(raw[9]) << 8 | size_t(raw[10]) << 16 | size_t(raw[11]) << 24;
    header_start = 12;
  }
  const std::string header(reinterpret_cast<const char*>(raw + header_start), header_length);
  if (header.find("'fortran_order': False") == std::string::npos) throw std::runtime_error(path + ": not C order");
  const std::string descr = header_field(header, "descr", '\'', '\'');

  npy_array array;
  size_t count = 1;
  std::stringstream dims(header_field(header, "shape", '(', ')'));
  for (std::string dim; std::getline(dims, dim, ',');)
    if (dim.find_first_not_of(' ') != std::string::npos) {
      array.shape.push_back(std::stoll(dim));
      count *= size_t(array.shape.back());
    }
  const std::byte* data = raw + header_start + header_length;
  if (descr == "<f4") widen<float>(data, count, array.values);
  else if (descr == "<f8") widen<double>(data, count, array.values);
  else if (descr == "<i8") widen<int64_t>(data, count, array.values);
  else if (descr == "<i4") widen<int32_t>(data, count, array.values);
  else if (descr == "|b1" || descr == "|u1") widen<uint8_t>(data, count, array.values);
  else throw std::runtime_error(path + ": unsupported dtype " + descr);
  return array;
}

std::unique_ptr<causal_lm> load_causal_lm(const std::string& fixture_dir) {
  weights w;
  w.add_file("model.safetensors", read_file(fixture_dir + "/model.safetensors"));
  return causal_lm_load(read_text(fixture_dir + "/config.json"), std::move(w));
}

std::string error_message(const std::function<void()>& call, const std::string& code) {
  try {
    call();
  } catch (const error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no wax::error thrown";
  return "";
}

void expect_contains(const std::string& message, const std::vector<std::string>& parts) {
  for (const std::string& part : parts) EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
}

byte_buffer safetensors_file(const std::vector<stored_tensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const stored_tensor& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + t.bytes.size()}}};
    data += t.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  byte_buffer file = byte_buffer::allocate(8 + text.size() + data.size());
  for (int i = 0; i < 8; ++i) file.data()[i] = std::byte((text.size() >> (8 * i)) & 0xff);
  std::memcpy(file.data() + 8, text.data(), text.size());
  std::memcpy(file.data() + 8 + text.size(), data.data(), data.size());
  return file;
}

weights streamed(const byte_buffer& file, const load_options& options) {
  weights w;
  const uint64_t header_length = safetensors_header_length(file.data(), file.size(), "model.safetensors");
  const auto header = safetensors_parse_header(std::string_view(reinterpret_cast<const char*>(file.data() + 8), header_length),
                                               header_length, file.size() - 8 - header_length, "model.safetensors");
  w.begin_file("model.safetensors", file.data(), 8 + header_length, file.size(), options);
  w.add_tensors("model.safetensors", 0, file.data() + header.data_offset, file.size() - header.data_offset);
  w.check_complete();
  return w;
}

}  // namespace wax::testing
