// Whisper (models/whisper.cpp) against the oracle fixture whisper_tiny_random (upstream
// transformers on random weights): every encoder and decoder hidden state, the logits, and 15
// greedy steps with the KV cache; its jobs run in steps and refuse inputs that do not fit, naming
// them; a q8 load keeps the embed_positions tables f32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "api.h"
#include "core/dtype.h"
#include "core/error.h"
#include "io/config.h"
#include "models/registry.h"
#include "models/seq2seq.h"
#include "core/quantized_matrix.h"
#include "generation/whisper_timestamps.h"
#include "io/safetensors.h"
#include "models/whisper.h"
#include "ops/kernels/quant.h"
#include "ops/conv.h"
#include "test_util.h"

namespace wax {
namespace {

using testing::read_npy;

const std::string fixture = "whisper_tiny_random";
std::string dir() { return testing::fixture_path(fixture); }

// The oracle's tolerance: max abs difference ≤ 1e-4 × max(1, max abs of the reference).
void expect_close(const float* actual, size_t count, const std::vector<double>& reference, size_t first, const std::string& what) {
  ASSERT_LE(first + count, reference.size()) << what;
  double scale = 1, worst = 0;
  for (size_t i = 0; i < count; ++i) scale = std::max(scale, std::abs(reference[first + i]));
  for (size_t i = 0; i < count; ++i) worst = std::max(worst, std::abs(double(actual[i]) - reference[first + i]));
  EXPECT_LE(worst, 1e-4 * scale) << what << ": max abs difference " << worst;
}
void expect_close(const tensor& actual, const testing::npy_array& reference, const std::string& what) {
  ASSERT_EQ(size_t(actual.numel()), reference.values.size()) << what;
  expect_close(actual.data(), reference.values.size(), reference.values, 0, what);
}

std::unique_ptr<seq2seq_model> load_whisper(weights w, const load_options& options = {}) {
  std::unique_ptr<loaded_model> model = model_load(testing::read_text(dir() + "/config.json"), std::move(w), options, std::nullopt);
  auto* seq2seq = dynamic_cast<seq2seq_model*>(model.get());
  if (!seq2seq) throw std::runtime_error("whisper did not load as a seq2seq model");
  model.release();
  return std::unique_ptr<seq2seq_model>(seq2seq);
}
std::unique_ptr<seq2seq_model> load_whisper() {
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir() + "/model.safetensors"));
  return load_whisper(std::move(w));
}

std::vector<float> to_float(const testing::npy_array& a) { return {a.values.begin(), a.values.end()}; }
std::vector<int32_t> to_int32(const testing::npy_array& a) { return {a.values.begin(), a.values.end()}; }

// The fixture's input features and decoder ids as a request's inputs.
struct whisper_inputs {
  testing::npy_array features_npy = read_npy(dir() + "/input_features.npy");
  std::vector<float> features = to_float(features_npy);
  testing::npy_array ids_npy = read_npy(dir() + "/decoder_input_ids.npy");
  std::vector<int32_t> ids = to_int32(ids_npy);

  job_input features_input() const { return {"input_features", "float32", features_npy.shape, features.data()}; }
  job_input ids_input() const { return {"decoder_input_ids", "int32", ids_npy.shape, ids.data()}; }
};

// Steps `j` to its (first) outputs; the number of steps it took.
int run_to_end(job& j) {
  int steps = 1;
  while (!j.step()) ++steps;
  return steps;
}

const tensor& output(const job& j, const std::string& name) {
  for (const auto& [output_name, values] : j.outputs())
    if (output_name == name) return values;
  throw std::runtime_error("no output " + name);
}

// The convolution (im2col rows into the packed GEMM, threads over blocks of positions) against
// its scalar twin, on odd shapes: both paddings, strides 1-3, lengths that leave a partial block,
// f32 and f16 weights read in place.
TEST(conv1d, matches_its_scalar_reference_on_odd_shapes) {
  for (const conv1d_shape shape : {conv1d_shape{5, 7, 3, 1, 1}, conv1d_shape{3, 9, 3, 2, 1}, conv1d_shape{6, 4, 5, 3, 0},
                                   conv1d_shape{1, 17, 1, 1, 0}}) {
    for (const int64_t length : {1, 6, 67, 131}) {
      const int64_t batch = 2, out_length = shape.out_length(length);
      std::vector<float> x(static_cast<size_t>(batch * length * shape.in_channels)), w(static_cast<size_t>(
                                                                                         shape.out_channels * shape.in_channels * shape.kernel_size));
      std::vector<float> bias(static_cast<size_t>(shape.out_channels));
      for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)));
      for (size_t i = 0; i < w.size(); ++i) w[i] = float(std::cos(0.11 * double(i) + 0.5));
      for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.1f * float(i);
      std::vector<uint16_t> halves(w.size());
      for (size_t i = 0; i < w.size(); ++i) halves[i] = f32_to_f16(w[i]);
      const shape_t dims = {shape.out_channels, shape.in_channels, shape.kernel_size};
      for (const weight_view& weight :
           {weight_view{dtype::f32, dims, reinterpret_cast<const std::byte*>(w.data()), w.size() * 4},
            weight_view{dtype::f16, dims, reinterpret_cast<const std::byte*>(halves.data()), halves.size() * 2}}) {
        std::vector<float> y(static_cast<size_t>(batch * out_length * shape.out_channels)), expected(y.size());
        conv1d(x.data(), batch, length, weight, bias.data(), shape, y.data());
        conv1d_reference(x.data(), batch, length, weight, bias.data(), shape, expected.data());
        for (size_t i = 0; i < y.size(); ++i)
          ASSERT_NEAR(y[i], expected[i], 1e-4) << "in " << shape.in_channels << " out " << shape.out_channels << " kernel "
                                               << shape.kernel_size << " stride " << shape.stride << " length " << length;
      }
    }
  }
}

// Whisper's timestamp rules (WhisperTimeStampLogitsProcessor) on hand-made logits: a vocabulary
// of 12 with eos 4, <|notimestamps|> 6 and timestamps 7-11; which ids stay choosable after each
// generated prefix.
TEST(whisper_timestamps, pairs_monotonic_and_a_bounded_first_timestamp) {
  const timestamp_rules rules{6, 4, 1};
  const auto kept = [&](const std::vector<int32_t>& generated, std::vector<float> logits) {
    apply_timestamp_rules(logits.data(), int64_t(logits.size()), generated.data(), int64_t(generated.size()), rules);
    std::vector<int32_t> ids;
    for (size_t i = 0; i < logits.size(); ++i)
      if (std::isfinite(logits[i])) ids.push_back(int32_t(i));
    return ids;
  };
  // Text likelier than all timestamps together, so that the last rule leaves text alone.
  const std::vector<float> text_first = {9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0, 0};
  EXPECT_EQ(kept({}, text_first), (std::vector<int32_t>{7, 8}));                // a timestamp first, at most index 1
  EXPECT_EQ(kept({7}, text_first), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));     // then text (the start counts as a pair)
  EXPECT_EQ(kept({7, 1}, text_first), (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 8, 9, 10, 11}));  // no going back to 7
  EXPECT_EQ(kept({7, 1, 9}, text_first), (std::vector<int32_t>{4, 5, 9, 10, 11}));  // close the pair (9 again) or end
  EXPECT_EQ(kept({7, 1, 9, 9}, text_first), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));  // after a pair, text
  // Five timestamps at 0 outweigh one text token at 1 (log 5 > 1): a timestamp is forced.
  const std::vector<float> timestamps_likelier = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(kept({7, 1}, timestamps_likelier), (std::vector<int32_t>{8, 9, 10, 11}));
}

// return_timestamps on the generate job: the rules read generation_config.json's
// no_timestamps_token_id (here 400 of the random model's 512 ids, so 401-511 are timestamps) and
// max_initial_timestamp_index, and every generated row keeps them.
TEST(whisper, generate_with_return_timestamps_keeps_the_timestamp_rules) {
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir() + "/model.safetensors"));
  const std::string generation_config = R"({"decoder_start_token_id": 3, "eos_token_id": 2, "no_timestamps_token_id": 400,
                                            "max_initial_timestamp_index": 5})";
  std::unique_ptr<loaded_model> model =
      model_load(testing::read_text(dir() + "/config.json"), std::move(w), {}, std::nullopt, generation_config);
  const whisper_inputs in;
  const auto generation = api::job_new(*model, {"generate", {in.features_input()},
                                                {{"max_new_tokens", 30}, {"eos_token_id", json::array()}, {"return_timestamps", true}}});
  std::vector<int32_t> ids;
  for (bool more = true; more;) {
    if (!generation->step()) continue;
    const job_output_view tokens = generation->output_views().at(0);
    ids.insert(ids.end(), static_cast<const int32_t*>(tokens.data), static_cast<const int32_t*>(tokens.data) + tokens.dims[1]);
    more = generation->has_more();
  }
  ASSERT_EQ(ids.size(), 30u);
  const auto is_timestamp = [](int32_t id) { return id > 400; };
  EXPECT_TRUE(ids[0] > 400 && ids[0] <= 406) << "the first token " << ids[0];
  EXPECT_FALSE(is_timestamp(ids[1])) << "text after the first timestamp";
  int32_t last_timestamp = 0;
  size_t run = 0;  // timestamps in a row
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_NE(ids[i], 400) << "<|notimestamps|> at " << i;
    run = is_timestamp(ids[i]) ? run + 1 : 0;
    EXPECT_LE(run, 2u) << "three timestamps in a row at " << i;
    if (!is_timestamp(ids[i])) continue;
    EXPECT_GE(ids[i], last_timestamp) << "a timestamp going back at " << i;
    last_timestamp = ids[i];
  }

  const auto plain = load_whisper();
  testing::expect_contains(
      testing::error_message([&] { api::job_new(*plain, {"generate", {in.features_input()}, {{"return_timestamps", true}}}); },
                             error_bad_config),
      {"generation_config.json", "no_timestamps_token_id"});
}

TEST(whisper, encoder_hidden_states_match_upstream_layer_by_layer) {
  const auto model = load_whisper();
  const whisper_inputs in;
  const testing::npy_array reference = read_npy(dir() + "/encoder_hidden_states.npy");  // (layers + 1, 1, 1500, d_model)
  const size_t entry = size_t(model->n_source_positions() * model->d_model());
  ASSERT_EQ(reference.values.size(), entry * size_t(model->n_encoder_layers() + 1));

  encoder_pass pass = model->encoder_begin(in.features.data(), 1);
  expect_close(pass.x.data(), entry, reference.values, 0, "the stem plus positions");
  for (int64_t layer = 0; layer + 1 < model->n_encoder_layers(); ++layer) {
    model->encoder_layer(pass);
    expect_close(pass.x.data(), entry, reference.values, entry * size_t(layer + 1), "layer " + std::to_string(layer + 1));
  }
  model->encoder_layer(pass);
  const tensor last = model->encoder_end(pass);
  expect_close(last.data(), entry, reference.values, entry * size_t(model->n_encoder_layers()), "the final layer norm");
  expect_close(last, read_npy(dir() + "/encoder_last_hidden_state.npy"), "encoder_last_hidden_state");
}

TEST(whisper, encode_job_runs_the_stem_then_one_layer_a_step) {
  const auto model = load_whisper();
  const whisper_inputs in;
  const auto encode = api::job_new(*model, {"encode", {in.features_input()}, json::object()});
  EXPECT_EQ(run_to_end(*encode), 1 + model->n_encoder_layers());
  expect_close(output(*encode, "last_hidden_state"), read_npy(dir() + "/encoder_last_hidden_state.npy"), "last_hidden_state");
  EXPECT_EQ(output(*encode, "last_hidden_state").shape(), (shape_t{1, model->n_source_positions(), model->d_model()}));
}

// An encoder job dropped between steps (an AbortSignal in JS) leaves the model as it was.
TEST(whisper, an_encode_job_stopped_between_layers_leaves_the_model_usable) {
  const auto model = load_whisper();
  const whisper_inputs in;
  {
    const auto aborted = api::job_new(*model, {"encode", {in.features_input()}, json::object()});
    EXPECT_FALSE(aborted->step());  // the stem
    EXPECT_FALSE(aborted->step());  // layer 1 of 2
    EXPECT_TRUE(aborted->outputs().empty());
  }
  const auto encode = api::job_new(*model, {"encode", {in.features_input()}, json::object()});
  run_to_end(*encode);
  expect_close(output(*encode, "last_hidden_state"), read_npy(dir() + "/encoder_last_hidden_state.npy"), "after an abort");
}

TEST(whisper, decoder_hidden_states_and_logits_match_upstream) {
  const auto model = load_whisper();
  const whisper_inputs in;
  tensor states = [&] {
    encoder_pass pass = model->encoder_begin(in.features.data(), 1);
    while (pass.next_layer < model->n_encoder_layers()) model->encoder_layer(pass);
    return model->encoder_end(pass);
  }();
  kv_cache cross = model->cross_cache_new(1);
  for (int64_t layer = 0; layer < model->n_decoder_layers(); ++layer) model->cross_cache_layer(states, cross, layer);
  const seq2seq_decoder decoder(*model, std::move(cross));

  const testing::npy_array reference = read_npy(dir() + "/decoder_hidden_states.npy");  // (layers + 1, 1, n, d_model)
  const int64_t n = in.ids_npy.shape[1];
  const size_t entry = size_t(n * model->d_model());
  kv_cache cache = decoder.new_cache(1, n);
  forward_pass pass = decoder.forward_begin(in.ids.data(), nullptr, 1, n, cache);
  expect_close(pass.x.data(), entry, reference.values, 0, "token + position embeddings");
  for (int64_t layer = 0; layer + 1 < decoder.n_layers(); ++layer) {
    decoder.forward_layer(pass, cache);
    expect_close(pass.x.data(), entry, reference.values, entry * size_t(layer + 1), "decoder layer " + std::to_string(layer + 1));
  }
  decoder.forward_layer(pass, cache);
  tensor logits({1, n, model->vocab_size()});
  decoder.forward_end(pass, logits_for::all_positions, logits.data());
  expect_close(pass.x.data(), entry, reference.values, entry * size_t(decoder.n_layers()), "the final layer norm");
  expect_close(logits, read_npy(dir() + "/logits.npy"), "logits");
}

// "forward" from input_features, and from the encoder output the "encode" job gave.
TEST(whisper, forward_job_gives_the_logits_from_features_or_encoder_states) {
  const auto model = load_whisper();
  const whisper_inputs in;
  const testing::npy_array logits = read_npy(dir() + "/logits.npy");
  const auto forward = api::job_new(*model, {"forward", {in.features_input(), in.ids_input()}, json::object()});
  // The stem, the encoder layers, the cross-attention of each decoder layer, the decoder's layers.
  EXPECT_EQ(run_to_end(*forward), 1 + model->n_encoder_layers() + 2 * model->n_decoder_layers());
  expect_close(output(*forward, "logits"), logits, "logits from input_features");

  const auto encode = api::job_new(*model, {"encode", {in.features_input()}, json::object()});
  run_to_end(*encode);
  const tensor& states = output(*encode, "last_hidden_state");
  const job_input states_input{"encoder_hidden_states", "float32", states.shape(), states.data()};
  const auto from_states = api::job_new(*model, {"forward", {states_input, in.ids_input()}, json::object()});
  run_to_end(*from_states);
  expect_close(output(*from_states, "logits"), logits, "logits from encoder_hidden_states");
}

// 15 greedy steps with the KV cache (one token a pass after the start token), each step's logits
// and the ids as upstream's generate gives them without special-token rules.
TEST(whisper, greedy_steps_with_the_kv_cache_match_upstream) {
  const auto model = load_whisper();
  const whisper_inputs in;
  const std::vector<int32_t> greedy = to_int32(read_npy(dir() + "/greedy_ids.npy"));  // (1, 16)
  const testing::npy_array step_logits = read_npy(dir() + "/greedy_step_logits.npy");  // (1, 15, vocab)
  const int64_t vocab = model->vocab_size(), steps = int64_t(greedy.size()) - 1;
  EXPECT_EQ(greedy[0], model->decoder_start_token_id());

  seq2seq_encoding encoding(*model, {"generate", {in.features_input()}, json::object()});
  while (!encoding.step()) {
  }
  const std::unique_ptr<seq2seq_decoder> decoder = encoding.decoder();
  kv_cache cache = decoder->new_cache(1, 1);
  std::vector<float> logits(static_cast<size_t>(vocab));
  std::vector<int32_t> ids = {greedy[0]};
  for (int64_t step = 0; step < steps; ++step) {
    decoder->forward(&ids.back(), nullptr, 1, 1, cache, logits_for::last_position, logits.data());
    expect_close(logits.data(), size_t(vocab), step_logits.values, size_t(step * vocab), "step " + std::to_string(step));
    ids.push_back(int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
  }
  EXPECT_EQ(ids, greedy);

  // The generate job from input_features alone starts from decoder_start_token_id.
  const auto generation = api::job_new(
      *model, {"generate", {in.features_input()}, {{"max_new_tokens", steps}, {"eos_token_id", json::array()}}});
  std::vector<int32_t> generated = generation->info()["decoder_input_ids"].get<std::vector<int32_t>>();
  for (bool more = true; more;) {
    if (!generation->step()) continue;
    const job_output_view tokens = generation->output_views().at(0);
    generated.insert(generated.end(), static_cast<const int32_t*>(tokens.data), static_cast<const int32_t*>(tokens.data) + tokens.dims[1]);
    more = generation->has_more();
  }
  EXPECT_EQ(generated, greedy);
}

TEST(whisper, inputs_that_do_not_fit_are_refused_naming_them) {
  const auto model = load_whisper();
  const whisper_inputs in;
  const auto refused = [&](const std::string& task, const std::vector<job_input>& inputs) {
    return testing::error_message([&] { api::job_new(*model, {task, inputs, json::object()}); }, error_bad_input);
  };
  std::vector<float> short_features(size_t(80 * 100));
  testing::expect_contains(refused("encode", {{"input_features", "float32", {1, 80, 100}, short_features.data()}}),
                           {"input_features", "(1, 80, 100)", "3000"});
  testing::expect_contains(refused("encode", {{"input_features", "float32", {1, 40, 3000}, in.features.data()}}),
                           {"input_features", "(1, 40, 3000)", "80"});
  testing::expect_contains(refused("encode", {{"input_features", "int32", {1, 80, 3000}, in.features.data()}}),
                           {"input_features", "float32"});
  testing::expect_contains(refused("forward", {in.features_input()}), {"decoder_input_ids", "missing"});
  std::vector<int32_t> outside = in.ids;
  outside[3] = int32_t(model->vocab_size());
  testing::expect_contains(refused("forward", {in.features_input(), {"decoder_input_ids", "int32", in.ids_npy.shape, outside.data()}}),
                           {"decoder_input_ids", std::to_string(model->vocab_size()), "vocabulary"});
  testing::expect_contains(
      testing::error_message(
          [&] { api::job_new(*model, {"generate", {in.features_input()}, {{"max_new_tokens", model->max_target_positions()}}}); },
          error_bad_input),
      {"max_new_tokens", "max_target_positions"});
  testing::expect_contains(refused("transcribe", {in.features_input()}), {"transcribe", "encode, forward and generate"});
}

// The fixture's checkpoint with every tensor Whisper's rule converts replaced by its quantize →
// dequantize round trip (the others as stored).
byte_buffer dequantized_checkpoint(quant_type type) {
  const byte_buffer original = testing::read_file(dir() + "/model.safetensors");
  std::vector<testing::stored_tensor> tensors;
  for (const auto& [name, view] : safetensors_parse(original.data(), original.size(), "model.safetensors")) {
    std::vector<float> values(static_cast<size_t>(view.numel()));
    if (whisper_converts(name, view.shape)) {
      const quantized_matrix q = quantize(view, type);
      for (int64_t r = 0; r < q.rows; ++r) dequantize_row(q, r, values.data() + r * q.cols);
    } else {
      tensor_to_f32(view, 0, view.numel(), values.data());
    }
    tensors.push_back({name, "F32", view.shape, std::string(reinterpret_cast<const char*>(values.data()), values.size() * 4)});
  }
  return testing::safetensors_file(tensors);
}

tensor forward_logits(const seq2seq_model& model) {
  const whisper_inputs in;
  const auto forward = api::job_new(model, {"forward", {in.features_input(), in.ids_input()}, json::object()});
  run_to_end(*forward);
  return output(*forward, "logits");
}

double max_abs_difference(const tensor& a, const tensor& b, double& scale) {
  double worst = 0;
  scale = 1;
  for (int64_t i = 0; i < a.numel(); ++i) {
    scale = std::max(scale, std::abs(double(b.data()[i])));
    worst = std::max(worst, std::abs(double(a.data()[i]) - double(b.data()[i])));
  }
  return worst;
}

// The rule the registry gives Whisper: fp16, q8 and q4 loads convert the matrices as they stream
// in, never the embed_positions tables (get() would refuse a quantized one). A q8 or q4 forward
// over these (multi-row) inputs is fp32 on its own dequantized weights (prompt rows go through the
// f32 kernel); fp16 stays within its rounding of fp32.
class whisper_dtype : public ::testing::TestWithParam<std::string> {};

TEST_P(whisper_dtype, converts_the_matrices_and_keeps_embed_positions_f32) {
  const std::string dtype = GetParam();
  const load_options options = model_load_options(json{{"dtype", dtype}, {"model_type", "whisper"}}.dump());
  weights w = testing::streamed(testing::read_file(dir() + "/model.safetensors"), options);
  for (const char* table : {"model.encoder.embed_positions.weight", "model.decoder.embed_positions.weight"}) {
    EXPECT_EQ(w.quantized(table), nullptr) << table;
    EXPECT_EQ(w.find(table)->type, dtype::f32) << table;
  }
  const bool quantized = dtype != "fp16";
  EXPECT_EQ(w.quantized("model.encoder.layers.0.fc1.weight") != nullptr, quantized);
  EXPECT_EQ(w.quantized("model.decoder.embed_tokens.weight") != nullptr, quantized);
  if (!quantized) EXPECT_EQ(w.find("model.encoder.layers.0.fc1.weight")->type, dtype::f16);

  const tensor logits = forward_logits(*load_whisper(std::move(w), options));
  const tensor fp32 = forward_logits(*load_whisper());
  double scale = 1;
  const double from_fp32 = max_abs_difference(logits, fp32, scale);
  EXPECT_GT(from_fp32, 0) << dtype << " changed nothing";
  if (!quantized) {
    EXPECT_LE(from_fp32, 0.01 * scale) << "fp16 logits: max abs difference " << from_fp32 << " of " << scale;
    return;
  }
  weights dequantized;
  dequantized.add_file("model.safetensors", dequantized_checkpoint(dtype == "q8" ? quant_type::q8_0 : quant_type::q4_0));
  const double from_dequantized = max_abs_difference(logits, forward_logits(*load_whisper(std::move(dequantized))), scale);
  EXPECT_LE(from_dequantized, 1e-4 * scale) << dtype << " logits against fp32 on the dequantized weights: " << from_dequantized;
}

INSTANTIATE_TEST_SUITE_P(dtypes, whisper_dtype, ::testing::Values("fp16", "q8", "q4"));

TEST(whisper, the_estimate_counts_both_caches) {
  const std::string config = testing::read_text(dir() + "/config.json");
  const json estimate = json::parse(model_estimate(config, R"({"dtype": "fp32", "max_length": 100})"));
  const json c = json::parse(config);
  const double per_position = 2.0 * c["decoder_layers"].get<double>() * c["d_model"].get<double>() * 4;
  EXPECT_EQ(estimate["max_length"], 100);
  EXPECT_DOUBLE_EQ(estimate["kv_cache_bytes"].get<double>(), per_position * (100 + c["max_source_positions"].get<double>()));
}

}  // namespace
}  // namespace wax
