// Malformed safetensors files, built here from one small valid file: every truncation, every
// flipped header byte, and one case per check in io/safetensors.cpp, each expected to throw
// wax::error with a message naming the problem. Then the errors weights_prefix::get gives a model.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/safetensors.h"
#include "io/weights.h"
#include "test_util.h"

namespace wax {
namespace {

using json = nlohmann::json;

const std::string file_name = "model.safetensors";

// The 8-byte little-endian header length (the header's own unless `length` is given), the header
// JSON, then the data section.
std::string serialise(const std::string& header, const std::string& data, std::optional<uint64_t> length = {}) {
  const uint64_t n = length.value_or(header.size());
  std::string bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(char(n >> (8 * i)));
  return bytes + header + data;
}

json entry(const char* type, const json& shape, uint64_t begin, uint64_t end) {
  return {{"dtype", type}, {"shape", shape}, {"data_offsets", {begin, end}}};
}

// Every dtype family the loader must accept, a zero-size and a scalar tensor, and metadata. The
// data section ends where the last tensor does, so every truncation cuts into a tensor.
json valid_header() {
  return {{"__metadata__", {{"format", "pt"}}},      {"weight", entry("F32", {2, 3}, 0, 24)},
          {"half", entry("F16", {3}, 24, 30)},       {"brain", entry("BF16", {1, 2}, 30, 34)},
          {"empty", entry("F32", {0, 4}, 34, 34)},   {"ids", entry("I64", {1}, 34, 42)},
          {"mask", entry("BOOL", {2}, 42, 44)},      {"bytes", entry("U8", {3}, 44, 47)},
          {"scalar", entry("F32", json::array(), 47, 51)}};
}

const float weight_values[6] = {0.5f, -1, 2, 3.25f, -4, 6};  // "weight", (2, 3)

std::string valid_data() {
  std::string data(51, '\0');
  std::memcpy(data.data(), weight_values, sizeof weight_values);
  for (size_t i = sizeof weight_values; i < data.size(); ++i) data[i] = char(i);
  return data;
}

std::string valid_file() { return serialise(valid_header().dump(), valid_data()); }

std::map<std::string, weight_view> parse(const std::string& file) {
  return safetensors_parse(reinterpret_cast<const std::byte*>(file.data()), file.size(), file_name);
}

byte_buffer to_buffer(const std::string& file) {
  byte_buffer bytes = byte_buffer::allocate(file.size());
  std::memcpy(bytes.data(), file.data(), file.size());
  return bytes;
}

// Both entry points reject `file` with error_bad_safetensors, the same message, prefixed with the
// file name.
void expect_rejected(const std::string& file, const std::vector<std::string>& parts = {}) {
  const std::string message = testing::error_message([&] { parse(file); }, error_bad_safetensors);
  EXPECT_EQ(message.rfind(file_name + ": ", 0), 0u) << message;
  testing::expect_contains(message, parts);
  weights w;
  EXPECT_EQ(testing::error_message([&] { w.add_file(file_name, to_buffer(file)); }, error_bad_safetensors), message);
}

TEST(safetensors_parse, accepts_every_dtype_zero_size_scalar_and_metadata) {
  const std::string file = valid_file();
  const auto views = parse(file);
  ASSERT_EQ(views.size(), 8u);  // __metadata__ is not a tensor
  const std::byte* data = reinterpret_cast<const std::byte*>(file.data()) + 8 + valid_header().dump().size();
  const std::vector<std::tuple<std::string, dtype, shape_t, size_t>> expected = {
      {"weight", dtype::f32, {2, 3}, 0}, {"half", dtype::f16, {3}, 24},   {"brain", dtype::bf16, {1, 2}, 30},
      {"empty", dtype::f32, {0, 4}, 34}, {"ids", dtype::i64, {1}, 34},    {"mask", dtype::boolean, {2}, 42},
      {"bytes", dtype::u8, {3}, 44},     {"scalar", dtype::f32, {}, 47}};
  for (const auto& [name, type, shape, begin] : expected) {
    SCOPED_TRACE(name);
    ASSERT_EQ(views.count(name), 1u);
    const weight_view& view = views.at(name);
    EXPECT_EQ(view.type, type);
    EXPECT_EQ(view.shape, shape);
    EXPECT_EQ(view.data, data + begin);
    EXPECT_EQ(view.nbytes, size_t(view.numel()) * dtype_size(type));
  }
  EXPECT_EQ(std::memcmp(views.at("weight").data, weight_values, sizeof weight_values), 0);

  const std::string header = valid_header().dump();
  const safetensors_header parsed = safetensors_parse_header(header, header.size(), 51, file_name);
  EXPECT_EQ(parsed.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_EQ(parsed.data_offset, 8 + header.size());
  for (size_t i = 1; i < parsed.entries.size(); ++i) EXPECT_LE(parsed.entries[i - 1].begin, parsed.entries[i].begin);
}

TEST(safetensors_parse, accepts_header_padded_with_spaces) {
  // The reference writer pads the header with spaces to align the data section to 8 bytes.
  std::string header = valid_header().dump();
  header.append(8 - header.size() % 8, ' ');
  EXPECT_EQ(parse(serialise(header, valid_data())).size(), 8u);
}

TEST(safetensors_parse, rejects_every_truncation) {
  const std::string file = valid_file();
  const size_t header_end = 8 + valid_header().dump().size();
  for (size_t size = 0; size < file.size(); ++size) {
    SCOPED_TRACE("truncated to " + std::to_string(size) + " of " + std::to_string(file.size()) + " bytes");
    const std::string problem = size < 8 ? "too short for the 8-byte header length"
                                : size < header_end ? "runs past the end of the file"
                                                    : "is past the data section";
    expect_rejected(file.substr(0, size), {problem});
  }
}

TEST(safetensors_parse, flipped_header_bytes_parse_in_bounds_or_throw) {
  const std::string file = valid_file();
  const size_t header_end = 8 + valid_header().dump().size();
  int parsed = 0, rejected = 0;
  for (size_t at = 0; at < header_end; ++at) {
    for (int mask : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
      std::string flipped = file;
      flipped[at] = char(flipped[at] ^ mask);
      const auto* first = reinterpret_cast<const std::byte*>(flipped.data());
      try {
        for (const auto& [name, view] : parse(flipped)) {
          EXPECT_GE(view.data, first + header_end) << "byte " << at << " ^ " << mask << ": " << name;
          EXPECT_LE(view.data + view.nbytes, first + flipped.size()) << "byte " << at << " ^ " << mask << ": " << name;
          EXPECT_EQ(view.nbytes, size_t(view.numel()) * dtype_size(view.type)) << "byte " << at << " ^ " << mask;
        }
        ++parsed;
      } catch (const error& e) {
        EXPECT_EQ(e.code(), error_bad_safetensors) << "byte " << at << " ^ " << mask << ": " << e.what();
        ++rejected;
      }
    }
  }
  EXPECT_GT(parsed, 0) << "some flips (inside the metadata, say) leave a valid file";
  EXPECT_GT(rejected, 0);
}

// What the loader reads before a download: the header alone checks as the whole file does, and a
// data section shorter than the tensors need fails only once the file's size is known.
TEST(safetensors_read_header, checks_the_header_ahead_of_the_data_and_the_ends_once_the_size_is_known) {
  const std::string file = valid_file();
  const size_t header_end = 8 + valid_header().dump().size();
  const auto read = [&](size_t prefix_size, std::optional<uint64_t> file_size) {
    return safetensors_read_header(reinterpret_cast<const std::byte*>(file.data()), prefix_size, file_size, file_name);
  };
  const safetensors_header ahead = read(header_end, std::nullopt);
  EXPECT_EQ(ahead.entries.size(), 8u);
  EXPECT_EQ(ahead.data_offset, header_end);
  EXPECT_EQ(ahead.entries.back().end, 51u);
  EXPECT_EQ(read(header_end, file.size()).entries.size(), 8u);
  for (size_t size = 0; size < file.size(); ++size) {
    SCOPED_TRACE("the file's first " + std::to_string(size) + " of " + std::to_string(file.size()) + " bytes");
    const std::string whole = testing::error_message([&] { parse(file.substr(0, size)); }, error_bad_safetensors);
    EXPECT_EQ(testing::error_message([&] { read(std::min(size, header_end), size); }, error_bad_safetensors), whole);
    if (size < header_end) EXPECT_EQ(testing::error_message([&] { read(size, std::nullopt); }, error_bad_safetensors), whole);
  }
}

TEST(safetensors_parse, rejects_bad_header_lengths) {
  const std::string header = valid_header().dump(), data = valid_data();
  const uint64_t file_size = 8 + header.size() + data.size();
  expect_rejected(serialise(header, data, 1ull << 63),
                  {"header length 9223372036854775808 exceeds the 104857600-byte limit"});
  expect_rejected(serialise(header, data, 1ull << 40), {"header length 1099511627776 exceeds"});
  for (uint64_t length : {file_size, file_size - 7})
    expect_rejected(serialise(header, data, length),
                    {"header length " + std::to_string(length) + " runs past the end of the file (" +
                     std::to_string(file_size) + " bytes"});
  expect_rejected(std::string(7, '\0'), {"file is 7 bytes, too short"});
}

TEST(safetensors_parse, rejects_header_that_is_not_a_json_object) {
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"[]", "header must be a JSON object, got array"},
      {"42", "header must be a JSON object, got number"},
      {"\"weight\"", "header must be a JSON object, got string"},
      {"", "header: not valid JSON"},
      {"{", "header: not valid JSON"},
      {"{\"weight\": nan}", "header: not valid JSON"},
      {"{\"\xff\": {}}", "header: not valid JSON"},  // not UTF-8
      {valid_header().dump() + "}", "header: not valid JSON"},
  };
  for (const auto& [header, problem] : headers) {
    SCOPED_TRACE(header);
    expect_rejected(serialise(header, valid_data()), {problem});
  }
}

// One edit of the valid header per check, and what its message must say.
struct header_case {
  const char* name;
  std::function<void(json&)> edit;
  std::vector<std::string> message_has;
};

TEST(safetensors_parse, rejects_each_invalid_tensor_entry) {
  const uint64_t two_to_32 = 1ull << 32;
  const std::vector<header_case> cases = {
      {"unknown dtype", [](json& h) { h["weight"]["dtype"] = "F12"; }, {"'weight'", "unknown dtype \"F12\""}},
      {"dtype not a string", [](json& h) { h["weight"]["dtype"] = 4; },
       {"'weight'", "'dtype' must be a string, got 4"}},
      {"dtype of the wrong size", [](json& h) { h["weight"]["dtype"] = "F16"; },
       {"'weight'", "shape (2, 3) of F16 needs 12 bytes, but data_offsets span 24"}},
      {"shape of the wrong size", [](json& h) { h["bytes"]["shape"] = {2, 2}; },
       {"'bytes'", "needs 4 bytes, but data_offsets span 3"}},
      {"begin after end", [](json& h) { h["weight"]["data_offsets"] = {24, 0}; },
       {"'weight'", "data_offsets begin 24 is after end 0"}},
      {"end past the data", [](json& h) { h["bytes"]["data_offsets"] = {44, 1000}; },
       {"'bytes'", "data_offsets end 1000 is past the data section (51 bytes"}},
      {"negative offset", [](json& h) { h["weight"]["data_offsets"] = {-24, 0}; },
       {"'weight'", "data_offsets[0] must be a non-negative integer, got -24"}},
      {"float offset", [](json& h) { h["weight"]["data_offsets"] = {0, 24.0}; },
       {"'weight'", "data_offsets[1] must be a non-negative integer, got 24.0"}},
      {"one offset", [](json& h) { h["weight"]["data_offsets"] = {0}; },
       {"'data_offsets' must be [begin, end], got an array of 1 elements"}},
      {"offsets not an array", [](json& h) { h["weight"]["data_offsets"] = "0-24"; }, {"must be [begin, end]"}},
      {"missing dtype", [](json& h) { h["weight"].erase("dtype"); }, {"'weight'", "missing field 'dtype'"}},
      {"missing shape", [](json& h) { h["weight"].erase("shape"); }, {"'weight'", "missing field 'shape'"}},
      {"missing offsets", [](json& h) { h["weight"].erase("data_offsets"); }, {"missing field 'data_offsets'"}},
      {"entry not an object", [](json& h) { h["weight"] = json::array(); }, {"'weight'", "expected an object, got an array of 0 elements"}},
      {"shape not an array", [](json& h) { h["weight"]["shape"] = "2x3"; }, {"'shape' must be an array, got \"2x3\""}},
      {"negative dimension", [](json& h) { h["weight"]["shape"] = {-2, -3}; },
       {"'weight'", "each shape dimension must be a non-negative integer, got -2"}},
      {"float dimension", [](json& h) { h["weight"]["shape"] = {2.0, 3}; },
       {"dimension must be a non-negative integer, got 2.0"}},
      {"shape product overflows", [=](json& h) { h["weight"]["shape"] = {two_to_32, two_to_32, 0}; },
       {"'weight'", "shape (4294967296, 4294967296, 0) is too large"}},
      {"dimension above int64", [](json& h) { h["weight"]["shape"] = {1ull << 63}; }, {"is too large"}},
      {"byte count overflows", [](json& h) { h["weight"]["shape"] = {1ull << 62}; },
       {"shape (4611686018427387904,) is too large"}},
      {"overlapping spans", [](json& h) { h["half"]["data_offsets"] = {20, 26}; },
       {"tensors 'weight' [0, 24) and 'half' [20, 26) overlap"}},
      {"identical spans", [](json& h) { h["copy"] = h["weight"]; }, {"'copy' [0, 24)", "'weight' [0, 24)", "overlap"}},
      {"metadata not an object", [](json& h) { h["__metadata__"] = "pt"; },
       {"'__metadata__' must be an object of strings"}},
      {"metadata not a string", [](json& h) { h["__metadata__"]["layers"] = 3; },
       {"'__metadata__' entry 'layers' must be a string"}},
  };
  for (const header_case& c : cases) {
    SCOPED_TRACE(c.name);
    json header = valid_header();
    c.edit(header);
    expect_rejected(serialise(header.dump(), valid_data()), c.message_has);
  }
}

// A file of zero-filled tensors laid out back to back: (name, dtype, shape) each.
std::string file_with(const std::vector<std::tuple<std::string, std::string, shape_t>>& tensors) {
  json header = json::object();
  uint64_t end = 0;
  for (const auto& [name, type, shape] : tensors) {
    uint64_t size = dtype_size(*dtype_from_name(type));
    for (int64_t dim : shape) size *= uint64_t(dim);
    header[name] = entry(type.c_str(), shape, end, end + size);
    end += size;
  }
  return serialise(header.dump(), std::string(end, '\0'));
}

TEST(safetensors_parse, deeply_nested_entry_throws_instead_of_overflowing_the_stack) {
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');  // a 200 KB header
  expect_rejected(serialise("{\"weight\": " + nested + "}", ""), {"header", "nested more than 64 levels"});
  expect_rejected(serialise("{\"weight\": {\"dtype\": \"F32\", \"shape\": [" + nested + "], \"data_offsets\": [0, 0]}}", ""),
                  {"header", "nested more than 64 levels"});
}

TEST(weights, rejects_a_tensor_stored_in_two_files_and_keeps_the_first) {
  weights w;
  w.add_file("a.safetensors", to_buffer(file_with({{"shared", "F32", {2}}})));
  const std::byte* first = w.find("shared")->data;
  const std::string message = testing::error_message(
      [&] { w.add_file("b.safetensors", to_buffer(file_with({{"other", "F32", {1}}, {"shared", "F16", {2}}}))); },
      error_bad_weights);
  testing::expect_contains(message, {"b.safetensors", "'shared'", "a.safetensors"});
  EXPECT_EQ(w.find("shared")->data, first);
  EXPECT_EQ(w.find("other"), nullptr) << "a rejected file adds no tensor";
}

TEST(weights, copies_misaligned_tensors_to_aligned_memory) {
  std::string header = valid_header().dump();
  header.append((5 - (8 + header.size()) % 4) % 4, ' ');  // data section at 1 mod 4 of a malloc'd block
  weights w;
  w.add_file(file_name, to_buffer(serialise(header, valid_data())));
  const weight_view* view = w.find("weight");
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(view->data) % alignof(float), 0u);
  EXPECT_EQ(std::memcmp(view->data, weight_values, sizeof weight_values), 0);
}

class weights_prefix_test : public ::testing::Test {
 protected:
  void SetUp() override {
    all.add_file(file_name, to_buffer(file_with({{"model.layers.3.mlp.up_proj.weight", "F32", {4, 3}},
                                                 {"model.norm.weight", "BF16", {3}},
                                                 {"model.position_ids", "I64", {1, 5}}})));
  }
  weights all;
  weights_prefix model = weights_prefix(all).pp("model");
};

TEST_F(weights_prefix_test, finds_tensors_through_prefixes) {
  EXPECT_EQ(model.get("norm.weight", {3}).type, dtype::bf16);
  EXPECT_EQ(model.pp("layers").pp(3).pp("mlp").get("up_proj.weight", {4, 3}).shape, (shape_t{4, 3}));
  EXPECT_TRUE(model.pp("layers.3").contains("mlp.up_proj.weight"));
  EXPECT_FALSE(model.get_optional("lm_head.weight", {3, 4}).has_value());
}

TEST_F(weights_prefix_test, missing_tensor_names_the_full_key_and_expected_shape) {
  const std::string message =
      testing::error_message([&] { model.pp("layers").pp(3).get("missing.weight", {3, 4}); }, error_bad_weights);
  testing::expect_contains(message, {"'model.layers.3.missing.weight'", "(3, 4)"});
}

TEST_F(weights_prefix_test, wrong_shape_names_expected_and_actual) {
  const std::string message =
      testing::error_message([&] { model.pp("layers").pp(3).pp("mlp").get("up_proj.weight", {3, 4}); }, error_bad_weights);
  EXPECT_EQ(message, "weights: 'model.layers.3.mlp.up_proj.weight': expected shape (3, 4), got (4, 3)");
  testing::expect_contains(testing::error_message([&] { model.get_optional("norm.weight", {4}); }, error_bad_weights),
                  {"expected shape (4,), got (3,)"});
}

TEST_F(weights_prefix_test, rejects_non_float_dtype_as_unsupported) {
  testing::expect_contains(testing::error_message([&] { model.get("position_ids", {1, 5}); }, error_unsupported),
                  {"'model.position_ids'", "I64"});
}

}  // namespace
}  // namespace wax
