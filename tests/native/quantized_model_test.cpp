// Models loaded with dtype q8/q4/fp16 against an fp32 run on their own dequantized weights. The
// kernels quantize activations to 8 bits per 32-block (as llama.cpp does), which is the gap left:
// on these random fixtures (weights drawn with std 0.5) it reaches a few percent of the logits'
// scale, while a wrong layout or scale gives errors of the scale itself. The kernels are checked
// exactly against their scalar twins in kernels_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "core/error.h"
#include "io/config.h"
#include "io/safetensors.h"
#include "ops/kernels/quant.h"
#include "io/load_options.h"
#include "test_util.h"

namespace wax {
namespace {

const std::string fixture = "llama_gqa_untied";

// The fixture's checkpoint with every matrix replaced by its quantize → dequantize round trip.
byte_buffer dequantized_checkpoint(const std::string& dir, quant_type type) {
  byte_buffer original = testing::read_file(dir + "/model.safetensors");
  auto views = safetensors_parse(original.data(), original.size(), "model.safetensors");
  json header;
  std::vector<float> data;
  for (const auto& [name, view] : views) {
    std::vector<float> values(static_cast<size_t>(view.numel()));
    if (view.shape.size() == 2) {
      const quantized_matrix q = quantize(view, type);
      for (int64_t r = 0; r < q.rows; ++r) dequantize_row(q, r, values.data() + r * q.cols);
    } else {
      std::copy_n(reinterpret_cast<const float*>(view.data), values.size(), values.begin());
    }
    header[name] = {{"dtype", "F32"}, {"shape", view.shape}, {"data_offsets", {data.size() * 4, (data.size() + values.size()) * 4}}};
    data.insert(data.end(), values.begin(), values.end());
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  byte_buffer bytes = byte_buffer::allocate(8 + text.size() + data.size() * 4);
  for (int i = 0; i < 8; ++i) bytes.data()[i] = std::byte((text.size() >> (8 * i)) & 0xff);
  std::copy_n(reinterpret_cast<const std::byte*>(text.data()), text.size(), bytes.data() + 8);
  std::copy_n(reinterpret_cast<const std::byte*>(data.data()), data.size() * 4, bytes.data() + 8 + text.size());
  return bytes;
}

std::vector<float> prompt_logits(const causal_lm& model, const std::vector<int32_t>& ids) {
  kv_cache cache = model.new_cache(1, int64_t(ids.size()));
  std::vector<float> logits(ids.size() * size_t(model.vocab_size()));
  model.forward(ids.data(), nullptr, 1, int64_t(ids.size()), cache, logits_for::all_positions, logits.data());
  return logits;
}

std::unique_ptr<causal_lm> load(const std::string& dir, byte_buffer bytes, const std::string& options_json) {
  weights w;
  w.add_file("model.safetensors", std::move(bytes));
  return causal_lm_load(testing::read_text(dir + "/config.json"), std::move(w), load_options_from_json(options_json));
}

class quantized_model : public ::testing::TestWithParam<std::string> {};

TEST_P(quantized_model, matches_fp32_on_its_dequantized_weights) {
  const std::string dir = testing::fixture_path(fixture), dtype = GetParam();
  const auto ids_npy = testing::read_npy(dir + "/input_ids.npy");
  const std::vector<int32_t> ids(ids_npy.values.begin(), ids_npy.values.end());

  auto quantized = load(dir, testing::read_file(dir + "/model.safetensors"), "{\"dtype\": \"" + dtype + "\"}");
  auto reference = load(dir, dequantized_checkpoint(dir, dtype == "q8" ? quant_type::q8_0 : quant_type::q4_0), "");
  const auto actual = prompt_logits(*quantized, ids), expected = prompt_logits(*reference, ids);
  float scale = 1, worst = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    scale = std::max(scale, std::abs(expected[i]));
    worst = std::max(worst, std::abs(actual[i] - expected[i]));
  }
  EXPECT_LE(worst, 0.1f * scale) << "max abs difference " << worst << " at scale " << scale;

  // Every matrix was converted, so the checkpoint's bytes are gone: Q4_0 is 0.5625 bytes a weight.
  int64_t matrix_weights = 0, vector_weights = 0;
  for (const auto& [name, view] : safetensors_parse(testing::read_file(dir + "/model.safetensors").data(),
                                                     testing::read_file(dir + "/model.safetensors").size(), "m")) {
    (view.shape.size() == 2 ? matrix_weights : vector_weights) += view.numel();
  }
  const double per_weight = dtype == "q8" ? 34.0 / 32 : 18.0 / 32;
  EXPECT_EQ(double(quantized->weight_bytes()), per_weight * double(matrix_weights) + 4.0 * double(vector_weights));
}

INSTANTIATE_TEST_SUITE_P(dtypes, quantized_model, ::testing::Values("q8", "q4"));

TEST(quantized_model, fp16_halves_an_f32_checkpoint_and_stays_close) {
  const std::string dir = testing::fixture_path(fixture);
  const auto ids_npy = testing::read_npy(dir + "/input_ids.npy");
  const std::vector<int32_t> ids(ids_npy.values.begin(), ids_npy.values.end());
  auto half = load(dir, testing::read_file(dir + "/model.safetensors"), R"({"dtype": "fp16"})");
  auto full = load(dir, testing::read_file(dir + "/model.safetensors"), "");
  EXPECT_LT(double(half->weight_bytes()), 0.52 * double(full->weight_bytes()));
  const auto a = prompt_logits(*half, ids), b = prompt_logits(*full, ids);
  float scale = 1;
  for (float v : b) scale = std::max(scale, std::abs(v));
  // 11-bit mantissas, through two layers of weights drawn with std 0.5
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-2f * scale);
}

TEST(quantized_model, per_module_dtypes_and_bad_names) {
  const std::string dir = testing::fixture_path(fixture);
  auto mixed = load(dir, testing::read_file(dir + "/model.safetensors"), R"({"dtype": {"embed_tokens": "q8", "default": "q4"}})");
  auto all_q4 = load(dir, testing::read_file(dir + "/model.safetensors"), R"({"dtype": "q4"})");
  EXPECT_GT(mixed->weight_bytes(), all_q4->weight_bytes());
  try {
    load(dir, testing::read_file(dir + "/model.safetensors"), R"({"dtype": "q5"})");
    FAIL() << "expected an error";
  } catch (const error& e) {
    EXPECT_NE(std::string(e.what()).find("dtype 'q5' is not supported"), std::string::npos) << e.what();
  }
}

// The file in runs of a few tensors, as the JS loader streams it: each matrix is quantized as its
// run arrives, so the logits are the very ones of the whole-file load.
std::unique_ptr<causal_lm> load_streamed(const std::string& dir, const std::string& options_json, size_t tensors_per_run) {
  const byte_buffer file = testing::read_file(dir + "/model.safetensors");
  const uint64_t header_length = safetensors_header_length(file.data(), file.size(), "model.safetensors");
  const safetensors_header header = safetensors_parse_header(
      std::string_view(reinterpret_cast<const char*>(file.data() + 8), header_length), header_length,
      file.size() - 8 - header_length, "model.safetensors");
  weights w;
  const load_options options = load_options_from_json(options_json);
  w.begin_file("model.safetensors", file.data(), 8 + header_length, file.size(), options);
  for (size_t first = 0; first < header.entries.size(); first += tensors_per_run) {
    const size_t last = std::min(first + tensors_per_run, header.entries.size()) - 1;
    const uint64_t begin = header.entries[first].begin, end = header.entries[last].end;
    w.add_tensors("model.safetensors", begin, file.data() + header.data_offset + begin, size_t(end - begin));
  }
  w.check_complete();
  return causal_lm_load(testing::read_text(dir + "/config.json"), std::move(w), options);
}

TEST(quantized_model, streamed_in_runs_of_tensors_equals_the_whole_file_load) {
  const std::string dir = testing::fixture_path(fixture);
  const auto ids_npy = testing::read_npy(dir + "/input_ids.npy");
  const std::vector<int32_t> ids(ids_npy.values.begin(), ids_npy.values.end());
  size_t vector_bytes = 0;
  for (const auto& [name, view] : safetensors_parse(testing::read_file(dir + "/model.safetensors").data(),
                                                     testing::read_file(dir + "/model.safetensors").size(), "m"))
    if (view.shape.size() == 1) vector_bytes += view.nbytes;
  for (const std::string options : {R"({"dtype": "q4"})", R"({"dtype": {"embed_tokens": "fp32", "default": "q8"}})", R"({"dtype": "fp16"})"}) {
    SCOPED_TRACE(options);
    auto whole = load(dir, testing::read_file(dir + "/model.safetensors"), options);
    for (size_t per_run : {size_t(1), size_t(3)}) {
      auto streamed = load_streamed(dir, options, per_run);
      EXPECT_EQ(prompt_logits(*streamed, ids), prompt_logits(*whole, ids));
      // The whole-file load keeps the file while any view into it lives (the fp32 embed_tokens);
      // the streamed one keeps copies of just the unconverted tensors, at most the vectors (norms)
      // twice where a view is kept (fp16: its halves are views).
      EXPECT_LE(streamed->weight_bytes(), whole->weight_bytes() + vector_bytes);
    }
  }
}

TEST(quantized_model, a_streamed_file_refuses_cut_skipped_or_missing_tensors) {
  const std::string dir = testing::fixture_path(fixture);
  const byte_buffer file = testing::read_file(dir + "/model.safetensors");
  const uint64_t header_length = safetensors_header_length(file.data(), file.size(), "m");
  const safetensors_header header = safetensors_parse_header(
      std::string_view(reinterpret_cast<const char*>(file.data() + 8), header_length), header_length,
      file.size() - 8 - header_length, "m");
  const std::byte* data = file.data() + header.data_offset;
  const auto& first = header.entries[0];
  const auto expect_error = [](const std::function<void()>& body, const std::string& words) {
    try {
      body();
      FAIL() << "expected an error with: " << words;
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  const load_options q8 = load_options_from_json(R"({"dtype": "q8"})");
  weights cut;
  cut.begin_file("m", file.data(), 8 + header_length, file.size(), q8);
  expect_error([&] { cut.add_tensors("m", first.begin, data + first.begin, size_t(first.end - first.begin - 1)); }, "is cut");
  weights skipped;
  skipped.begin_file("m", file.data(), 8 + header_length, file.size(), q8);
  const auto& second = header.entries[1];
  expect_error([&] { skipped.add_tensors("m", second.begin, data + second.begin, size_t(second.end - second.begin)); }, "were skipped");
  weights missing;
  missing.begin_file("m", file.data(), 8 + header_length, file.size(), q8);
  missing.add_tensors("m", first.begin, data + first.begin, size_t(first.end - first.begin));
  expect_error([&] { missing.check_complete(); }, "never arrived");
  weights headless;
  expect_error([&] { headless.add_tensors("m", 0, data, 4); }, "before the file's header");
  expect_error([&] { headless.begin_file("m", file.data(), 8, file.size(), q8); }, "header arrived");
}

}  // namespace
}  // namespace wax
