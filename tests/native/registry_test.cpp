// The model registry: one table answers for loading, for the memory estimate, and for which
// tensors a dtype converts, so that a family's 2-D table (Whisper's embed_positions, SAM's
// rel_pos_*) stays f32 under q8/q4 and loads.
#include <gtest/gtest.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "models/bert.h"
#include "models/registry.h"
#include "nn/matrix.h"
#include "test_util.h"

namespace wax {
namespace {

using testing::stored_tensor;

constexpr int64_t dim = 32, table_rows = 7;

std::string f32_bytes(int64_t n, float scale) {
  std::string bytes(size_t(n) * 4, '\0');
  for (int64_t i = 0; i < n; ++i) {
    const float value = float(i % 11) * scale - 0.5f;
    std::memcpy(&bytes[size_t(i) * 4], &value, 4);
  }
  return bytes;
}

// A test-only family: a (7, 32) relative-position table read as plain floats, and a (32, 32)
// projection that a dtype converts.
class table_model : public loaded_model {
 public:
  table_model(weights w, const load_options& options) : weights_(std::move(w)), options_(options) {
    const weights_prefix root(weights_, options_);
    rel_pos = root.get("rel_pos", {table_rows, dim});
    proj = matrix::load(root, "proj.weight", dim, dim);
    note_unused_tensors(weights_);
  }
  weight_view rel_pos;
  matrix proj;

 private:
  weights weights_;
  load_options options_;
};

const model_family table_family = {
    "wax_test_table", model_task::encoder,
    [](const config_reader&, weights w, const load_options& options) -> std::unique_ptr<loaded_model> {
      return std::make_unique<table_model>(std::move(w), options);
    },
    [](const config_reader&, int64_t max_length) { return activation_estimate{estimate_length(max_length, 64), 0, 1000}; },
    [](const std::string& name, const shape_t& shape) { return shape.size() == 2 && name != "rel_pos"; }};

const std::vector<stored_tensor> table_tensors = {{"proj.weight", "F32", {dim, dim}, f32_bytes(dim * dim, 0.01f)},
                                                  {"rel_pos", "F32", {table_rows, dim}, f32_bytes(table_rows * dim, 0.1f)}};

TEST(model_registry, a_quantized_load_keeps_the_familys_2d_table_f32) {
  const model_registry registry({table_family});
  // A registry of its own: the built-in one, which every load uses, never learns the test's family.
  testing::expect_contains(testing::error_message([] { model_load_options(R"({"model_type": "wax_test_table"})"); }, error_unsupported),
                           {"'wax_test_table' is not supported"});
  const byte_buffer file = testing::safetensors_file(table_tensors);
  for (const char* dtype : {"q8", "q4"}) {
    const std::string options_json = std::string(R"({"dtype": ")") + dtype + R"(", "model_type": "wax_test_table"})";
    const load_options options = registry.load_options_for(options_json);
    auto model = registry.load(R"({"model_type": "wax_test_table"})", testing::streamed(file, options), options, model_task::encoder);
    const auto& loaded = static_cast<const table_model&>(*model);
    EXPECT_EQ(loaded.rel_pos.type, dtype::f32) << dtype;
    ASSERT_EQ(loaded.rel_pos.nbytes, table_tensors[1].bytes.size());
    EXPECT_EQ(std::memcmp(loaded.rel_pos.data, table_tensors[1].bytes.data(), loaded.rel_pos.nbytes), 0) << dtype;
    EXPECT_LT(loaded.proj.bytes(), size_t(dim * dim * 2)) << dtype << ": the projection is quantized";
    EXPECT_TRUE(model->unused_tensors().empty());

    // Without the family's rule every 2-D tensor is a matrix: the table is quantized, and refused.
    const load_options blind = load_options_from_json(std::string(R"({"dtype": ")") + dtype + "\"}");
    testing::expect_contains(testing::error_message([&] { table_model(testing::streamed(file, blind), blind); }, error_unsupported),
                             {"'rel_pos' was quantized as it loaded"});
  }
}

TEST(model_registry, the_estimate_converts_what_the_family_converts) {
  const model_registry registry({table_family});
  const byte_buffer file = testing::safetensors_file(table_tensors);
  nlohmann::json tensors = nlohmann::json::object();
  size_t offset = 0;
  for (const stored_tensor& t : table_tensors) {
    tensors[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  const nlohmann::json files = nlohmann::json::array({{{"size", file.size()}, {"tensors", tensors}}});
  const auto estimate = [&](const std::string& dtype) {
    return nlohmann::json::parse(registry.estimate(R"({"model_type": "wax_test_table"})", nlohmann::json{{"dtype", dtype}, {"files", files}}.dump()));
  };
  const nlohmann::json fp32 = estimate("fp32"), q8 = estimate("q8"), q4 = estimate("q4");
  EXPECT_EQ(fp32["weight_bytes"].get<double>(), double(file.size()));
  EXPECT_EQ(fp32["converts"], false);
  EXPECT_EQ(q8["weight_bytes"].get<double>(), double(dim * dim * 34 / 32 + table_rows * dim * 4)) << "the table as stored";
  EXPECT_EQ(q4["weight_bytes"].get<double>(), double(dim * dim * 18 / 32 + table_rows * dim * 4));
  EXPECT_EQ(q4["largest_tensor_bytes"].get<double>(), double(dim * dim * 4));
  EXPECT_EQ(q4["max_length"].get<int64_t>(), 64);
}

TEST(model_registry, llama_and_bert_estimates_come_from_their_config) {
  const std::string llama = testing::read_text(testing::fixture_path("llama_gqa_untied/config.json"));
  const auto c = nlohmann::json::parse(llama);
  const auto report = nlohmann::json::parse(model_estimate(llama, R"({"max_length": 128})"));
  const int64_t layers = c["num_hidden_layers"], heads = c["num_attention_heads"], hidden = c["hidden_size"];
  const int64_t kv_heads = c.value("num_key_value_heads", heads), head_dim = c.value("head_dim", hidden / heads);
  EXPECT_EQ(report["max_length"].get<int64_t>(), 128);
  EXPECT_EQ(report["kv_cache_bytes"].get<double>(), double(2 * layers * kv_heads * head_dim * 4 * 128));
  EXPECT_GT(report["working_bytes"].get<double>(), double(128 * 128 * 4));

  const std::string bert = testing::read_text(testing::fixture_path("bert_tiny_st/config.json"));
  const auto encoder = nlohmann::json::parse(model_estimate(bert, "{}"));
  EXPECT_EQ(encoder["kv_cache_bytes"].get<double>(), 0.0) << "an encoder keeps no cache";
  EXPECT_EQ(encoder["max_length"].get<int64_t>(), nlohmann::json::parse(bert).value("max_position_embeddings", 512));
  EXPECT_GT(encoder["working_bytes"].get<double>(), 0.0);

  // A text_config is estimated by itself; fields are checked by the loader's own reader.
  EXPECT_EQ(nlohmann::json::parse(model_estimate(R"({"text_config": )" + llama + "}", R"({"max_length": 128})")), report);
  nlohmann::json absurd = c;
  absurd["hidden_size"] = 1e300;
  testing::expect_contains(testing::error_message([&] { model_estimate(absurd.dump(), "{}"); }, error_bad_config),
                           {"config.json: 'hidden_size' expected", "got 1e+300"});
  testing::expect_contains(testing::error_message([&] { model_estimate(R"({"model_type": "gpt2"})", "{}"); }, error_unsupported),
                           {"model_type 'gpt2' is not supported (supported: llama, qwen2, mistral, bert"});
  testing::expect_contains(testing::error_message([&] { model_estimate(llama, R"({"dtype": "int3"})"); }, error_bad_input),
                           {"dtype 'int3' is not supported"});
}

TEST(model_registry, each_task_names_the_model_types_it_supports) {
  testing::expect_contains(testing::error_message([] { causal_lm_load(R"({"model_type": "bert"})", weights()); }, error_unsupported),
                           {"config.json: model_type 'bert' is not supported for causal language models (supported: llama, qwen2, mistral)"});
  testing::expect_contains(testing::error_message([] { encoder_load(R"({"model_type": "llama"})", weights()); }, error_unsupported),
                           {"config.json: model_type 'llama' is not supported for encoders (supported: bert"});
  testing::expect_contains(testing::error_message([] { model_load_options(R"({"model_type": "gpt2"})"); }, error_unsupported),
                           {"load options: model_type 'gpt2' is not supported"});
}

}  // namespace
}  // namespace wax
