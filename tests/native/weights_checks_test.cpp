// What a load checks in the tensors themselves: no NaN or infinity in any float tensor (whatever
// dtype it is stored or kept in), and which tensors the model never read.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "core/error.h"
#include "io/config.h"
#include "io/safetensors.h"
#include "models/bert.h"
#include "models/causal_lm.h"
#include "io/load_options.h"
#include "test_util.h"

namespace wax {
namespace {

using testing::safetensors_file;
using testing::stored_tensor;

// Every tensor of a fixture checkpoint, as stored.
std::vector<stored_tensor> fixture_tensors(const std::string& fixture) {
  const byte_buffer file = testing::read_file(testing::fixture_path(fixture + "/model.safetensors"));
  std::vector<stored_tensor> tensors;
  for (const auto& [name, view] : safetensors_parse(file.data(), file.size(), "model.safetensors"))
    tensors.push_back({name, std::string(dtype_name(view.type)), view.shape,
                       std::string(reinterpret_cast<const char*>(view.data), view.nbytes)});
  return tensors;
}

// A (rows, cols) matrix of `dtype` with small finite values and `bad_bits` at element `bad`.
stored_tensor matrix_with(const std::string& dtype, int64_t rows, int64_t cols, int64_t bad, uint32_t bad_bits) {
  const size_t size = dtype == "F32" ? 4 : 2;
  std::string bytes(size_t(rows * cols) * size, '\0');
  for (int64_t i = 0; i < rows * cols; ++i) {
    const float value = float(i % 7) * 0.25f - 0.5f;
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    if (i == bad) bits = bad_bits;
    else if (dtype == "F16") bits = f32_to_f16(value);
    else if (dtype == "BF16") bits = f32_to_bf16(value);
    std::memcpy(bytes.data() + size_t(i) * size, &bits, size);  // little-endian: the low bytes
  }
  return {"model.layers.0.mlp.up_proj.weight", dtype, {rows, cols}, bytes};
}

// Loads `file` whole (as fp32 views) or streamed in runs of one tensor, converted as `options` asks.
void load_weights(const byte_buffer& file, const std::string& options_json, bool streamed) {
  weights w;
  if (!streamed) {
    byte_buffer copy = byte_buffer::allocate(file.size());
    std::memcpy(copy.data(), file.data(), file.size());
    w.add_file("model.safetensors", std::move(copy));
    return;
  }
  const uint64_t header_length = safetensors_header_length(file.data(), file.size(), "model.safetensors");
  const safetensors_header header = safetensors_parse_header(
      std::string_view(reinterpret_cast<const char*>(file.data() + 8), header_length), header_length,
      file.size() - 8 - header_length, "model.safetensors");
  w.begin_file("model.safetensors", file.data(), 8 + header_length, file.size(), load_options_from_json(options_json));
  for (const safetensors_entry& entry : header.entries)
    w.add_tensors("model.safetensors", entry.begin, file.data() + header.data_offset + entry.begin, size_t(entry.end - entry.begin));
}



struct poison {
  std::string dtype, shown;
  uint32_t bits;
};

const poison poisons[] = {
    {"F32", "NaN", 0x7fc00000u}, {"F32", "+Inf", 0x7f800000u}, {"F32", "-Inf", 0xff800000u},
    {"F16", "NaN", 0x7e00u},     {"F16", "+Inf", 0x7c00u},     {"F16", "-Inf", 0xfc00u},
    {"BF16", "NaN", 0x7fc0u},    {"BF16", "+Inf", 0x7f80u},    {"BF16", "NaN", 0xffc1u},
};

TEST(non_finite_weights, are_refused_in_every_stored_dtype_and_every_load_dtype) {
  for (const poison& p : poisons) {
    const byte_buffer file = safetensors_file({{"model.norm.weight", "F32", {4}, std::string(16, '\0')},
                                               matrix_with(p.dtype, 4, 40, 2 * 40 + 5, p.bits)});
    for (const auto& [options, streamed] : {std::pair<std::string, bool>{"", false}, {R"({"dtype": "fp32"})", true},
                                            {R"({"dtype": "fp16"})", true}, {R"({"dtype": "q8"})", true},
                                            {R"({"dtype": "q4"})", true}}) {
      SCOPED_TRACE(p.dtype + " " + p.shown + " " + options);
      testing::expect_contains(testing::error_message([&] { load_weights(file, options, streamed); }, error_bad_weights),
                      {"model.safetensors", "'model.layers.0.mlp.up_proj.weight'", "holds " + p.shown, "[2, 5]", "index 85"});
    }
  }
}

TEST(non_finite_weights, finite_extremes_load) {
  for (const auto& [dtype, bits] : {std::pair<std::string, uint32_t>{"F32", 0x7f7fffffu}, {"F32", 0x00000001u},
                                    {"F16", 0x7bffu}, {"F16", 0x8001u}, {"BF16", 0x7f7fu}, {"BF16", 0xff7fu}}) {
    SCOPED_TRACE(dtype + " " + std::to_string(bits));
    const byte_buffer file = safetensors_file({matrix_with(dtype, 4, 40, 7, bits)});
    EXPECT_NO_THROW(load_weights(file, "", false));
    EXPECT_NO_THROW(load_weights(file, R"({"dtype": "q8"})", true));
  }
}

TEST(non_finite_weights, a_model_quantized_on_load_names_the_tensor_instead_of_emitting_token_0) {
  std::vector<stored_tensor> tensors = fixture_tensors("llama_gqa_tied");
  for (stored_tensor& t : tensors)
    if (t.name == "model.layers.1.self_attn.v_proj.weight") {
      const uint32_t nan = 0x7fc00000u;
      std::memcpy(t.bytes.data() + 4 * 1000, &nan, 4);
    }
  const byte_buffer file = safetensors_file(tensors);
  testing::expect_contains(testing::error_message([&] { load_weights(file, R"({"dtype": "q8"})", true); }, error_bad_weights),
                  {"'model.layers.1.self_attn.v_proj.weight' holds NaN", "index 1000"});
}

std::string with_field(const std::string& config_json, const std::string& field, int value) {
  json config = json::parse(config_json);
  config[field] = value;
  return config.dump();
}

weights whole(byte_buffer file) {
  weights w;
  w.add_file("model.safetensors", std::move(file));
  return w;
}

TEST(unused_tensors, a_config_with_fewer_layers_reports_the_rest) {
  const std::string dir = testing::fixture_path("llama_gqa_tied");
  const std::string config = testing::read_text(dir + "/config.json");
  EXPECT_TRUE(causal_lm_load(config, whole(testing::read_file(dir + "/model.safetensors")))->unused_tensors().empty());

  auto fewer = causal_lm_load(with_field(config, "num_hidden_layers", 1), whole(testing::read_file(dir + "/model.safetensors")));
  const auto& unused = fewer->unused_tensors();
  ASSERT_EQ(unused.size(), 9u) << "the nine tensors of layer 1";
  for (const std::string& name : unused) EXPECT_EQ(name.rfind("model.layers.1.", 0), 0u) << name;
  EXPECT_TRUE(std::is_sorted(unused.begin(), unused.end()));

  // quantized as they streamed in: the same report
  const byte_buffer file = testing::read_file(dir + "/model.safetensors");
  const load_options q4 = load_options_from_json(R"({"dtype": "q4"})");
  weights streamed = testing::streamed(file, q4);
  EXPECT_EQ(causal_lm_load(with_field(config, "num_hidden_layers", 1), std::move(streamed), q4)->unused_tensors(), unused);
}

TEST(unused_tensors, recomputed_buffers_are_not_reported_and_encoders_report_too) {
  std::vector<stored_tensor> tensors = fixture_tensors("llama_gqa_tied");
  tensors.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", "F32", {8}, std::string(32, '\0')});
  tensors.push_back({"score.weight", "F32", {2, 96}, std::string(2 * 96 * 4, '\0')});
  const std::string llama_config = testing::read_text(testing::fixture_path("llama_gqa_tied/config.json"));
  EXPECT_EQ(causal_lm_load(llama_config, whole(safetensors_file(tensors)))->unused_tensors(),
            std::vector<std::string>{"score.weight"});

  const std::string dir = testing::fixture_path("bert_tiny_st");
  const std::string config = testing::read_text(dir + "/config.json");
  EXPECT_TRUE(encoder_load(config, whole(testing::read_file(dir + "/model.safetensors")))->unused_tensors().empty());
  const int layers = json::parse(config).at("num_hidden_layers").get<int>();
  auto fewer = encoder_load(with_field(config, "num_hidden_layers", layers - 1), whole(testing::read_file(dir + "/model.safetensors")));
  ASSERT_FALSE(fewer->unused_tensors().empty());
  for (const std::string& name : fewer->unused_tensors())
    EXPECT_EQ(name.rfind("encoder.layer." + std::to_string(layers - 1) + ".", 0), 0u) << name;
}

}  // namespace
}  // namespace wax
