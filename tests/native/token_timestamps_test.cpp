// Word-level timing (generation/token_timestamps.h, issue 13 item 4): dynamic time warping and
// the median filter on hand-made numbers (paths worked out with transformers' _dynamic_time_warping),
// token times from a hand-made diagonal alignment, the cross-attention weights the decoder records
// for the alignment heads, and the generate job's "token_timestamps" on whisper_tiny_random.
#include <gtest/gtest.h>

#include <cmath>

#include "api.h"
#include "core/error.h"
#include "generation/token_timestamps.h"
#include "models/registry.h"
#include "models/seq2seq.h"
#include "test_util.h"

namespace wax {
namespace {

TEST(token_timestamps, dynamic_time_warping_takes_the_cheapest_monotone_path) {
  const warping_path path = dynamic_time_warping({0, 9, 9, 9, 9,  //
                                                  9, 0, 0, 9, 9,  //
                                                  9, 9, 9, 0, 9,  //
                                                  9, 9, 9, 0, 0},
                                                 4, 5);
  EXPECT_EQ(path.rows, (std::vector<int64_t>{0, 1, 1, 2, 3, 3}));
  EXPECT_EQ(path.cols, (std::vector<int64_t>{0, 1, 2, 3, 3, 4}));
  // Equal costs: a step right wins, as in transformers.
  const warping_path tied = dynamic_time_warping({5, 1, 1, 1, 1, 5, 5, 5}, 2, 4);
  EXPECT_EQ(tied.rows, (std::vector<int64_t>{0, 0, 0, 1}));
  EXPECT_EQ(tied.cols, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(token_timestamps, median_filter_mirrors_the_ends) {
  std::vector<float> row = {1, 9, 2, 8, 3, 7, 4};
  median_filter(row.data(), int64_t(row.size()), 3);
  EXPECT_EQ(row, (std::vector<float>{9, 2, 8, 3, 7, 4, 7}));
  std::vector<float> short_row = {3, 1};
  median_filter(short_row.data(), 2, 7);
  EXPECT_EQ(short_row, (std::vector<float>{3, 1}));
}

// Position p attends around frame 20p + 10 (two heads, one noisier): each token starts where the
// attention moves to it, so the times climb by about 20 frames (0.4 s) a token.
TEST(token_timestamps, a_diagonal_alignment_gives_rising_times) {
  const int64_t positions = 6, heads = 2, keys = 150, frames = 130;
  std::vector<float> weights(size_t(positions * heads * keys));
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t k = 0; k < keys; ++k) {
        const double distance = double(k - (20 * p + 10)) / (h == 0 ? 4.0 : 6.0);
        weights[size_t((p * heads + h) * keys + k)] = float(std::exp(-distance * distance) + 0.01 * ((k * 7 + h) % 5));
      }
  const std::vector<float> times = token_timestamps(weights.data(), positions, heads, keys, frames, 7, 0.02);
  ASSERT_EQ(times.size(), size_t(positions + 1));
  EXPECT_EQ(times[0], 0.0f);
  EXPECT_EQ(times[1], 0.0f);  // the path starts at frame 0
  for (int64_t p = 2; p <= positions; ++p) {
    EXPECT_GT(times[size_t(p)], times[size_t(p - 1)]) << "token " << p;
    // Between the peaks of positions p − 2 and p − 1.
    EXPECT_GE(times[size_t(p)], float((20 * (p - 2) + 10) * 0.02)) << "token " << p;
    EXPECT_LE(times[size_t(p)], float((20 * (p - 1) + 10) * 0.02)) << "token " << p;
  }
  EXPECT_LT(times.back(), float(frames) * 0.02f);
}

TEST(token_timestamps, alignment_heads_default_to_the_last_half_of_the_layers) {
  EXPECT_EQ(alignment_heads_from(json::object(), 4, 2),
            (std::vector<std::pair<int64_t, int64_t>>{{2, 0}, {2, 1}, {3, 0}, {3, 1}}));
  EXPECT_EQ(alignment_heads_from(json::parse(R"({"alignment_heads": [[1, 3], [0, 2]]})"), 4, 4),
            (std::vector<std::pair<int64_t, int64_t>>{{1, 3}, {0, 2}}));
  testing::expect_contains(
      testing::error_message([] { alignment_heads_from(json::parse(R"({"alignment_heads": [[1]]})"), 4, 4); }, error_bad_config),
      {"generation_config.json", "alignment_heads", "[layer, head]"});
}

const std::string fixture = "whisper_tiny_random";

std::unique_ptr<loaded_model> load_fixture(const std::string& generation_config = "{}") {
  const std::string dir = testing::fixture_path(fixture);
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
  return model_load(testing::read_text(dir + "/config.json"), std::move(w), {}, std::nullopt, generation_config);
}

struct features {
  testing::npy_array npy = testing::read_npy(testing::fixture_path(fixture) + "/input_features.npy");
  std::vector<float> values{npy.values.begin(), npy.values.end()};
  job_input input() const { return {"input_features", "float32", npy.shape, values.data()}; }
};

// The recorded weights are each head's softmax over the encoder positions.
TEST(token_timestamps, the_decoder_records_the_alignment_heads_cross_attention) {
  const auto loaded = load_fixture();
  const auto& model = dynamic_cast<const seq2seq_model&>(*loaded);
  const features in;
  seq2seq_encoding encoding(model, {"generate", {in.input()}, json::object()});
  while (!encoding.step()) {
  }
  const std::unique_ptr<seq2seq_decoder> decoder = encoding.decoder();
  decoder->record_cross_attention({{1, 2}, {0, 1}});
  kv_cache cache = decoder->new_cache(1, 4);
  std::vector<float> logits(size_t(3 * model.vocab_size()));
  const std::vector<int32_t> ids = {3, 10, 11};
  decoder->forward(ids.data(), nullptr, 1, 2, cache, logits_for::last_position, logits.data());
  decoder->forward(ids.data() + 2, nullptr, 1, 1, cache, logits_for::last_position, logits.data());
  const cross_attention_record& record = *decoder->recorded_cross_attention();
  ASSERT_EQ(record.n_positions, 3);
  ASSERT_EQ(record.n_keys, model.n_source_positions());
  ASSERT_EQ(record.rows.at(0).size(), size_t(3 * 2 * record.n_keys));
  for (int64_t r = 0; r < 3 * 2; ++r) {
    double total = 0, largest = 0;
    for (int64_t k = 0; k < record.n_keys; ++k) {
      const float w = record.rows[0][size_t(r * record.n_keys + k)];
      ASSERT_GE(w, 0.0f);
      total += w;
      largest = std::max(largest, double(w));
    }
    EXPECT_NEAR(total, 1.0, 1e-4) << "row " << r;
    EXPECT_LT(largest, 1.0) << "row " << r;
  }
  testing::expect_contains(testing::error_message([&] { decoder->record_cross_attention({{2, 0}}); }, error_bad_config),
                           {"alignment_heads", "[2, 0]"});
}

// One start time per token of the sequence, rising, inside the audio (num_frames / 2 positions).
TEST(token_timestamps, generate_gives_one_time_per_token) {
  const auto model = load_fixture();
  const features in;
  for (const int64_t num_frames : {int64_t(3000), int64_t(800)}) {
    const int64_t new_tokens = 12;
    const auto generation = api::job_new(*model, {"generate", {in.input()},
                                                  {{"max_new_tokens", new_tokens}, {"eos_token_id", json::array()},
                                                   {"return_token_timestamps", true}, {"num_frames", num_frames}}});
    std::vector<float> times;
    for (bool more = true; more;) {
      if (!generation->step()) continue;
      more = generation->has_more();
      const std::vector<job_output_view> views = generation->output_views();
      ASSERT_EQ(views.size(), more ? 1u : 2u) << "token_timestamps come with the last tokens";
      if (more) continue;
      ASSERT_EQ(views[1].name, "token_timestamps");
      ASSERT_EQ(views[1].dims, (shape_t{1, 1 + new_tokens}));
      const auto* data = static_cast<const float*>(views[1].data);
      times.assign(data, data + 1 + new_tokens);
    }
    ASSERT_EQ(times.size(), size_t(1 + new_tokens));
    EXPECT_EQ(times[0], 0.0f);
    for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i], times[i - 1]) << "token " << i;
    EXPECT_LT(times.back(), float(num_frames / 2) * 0.02f);
  }
  const auto plain = api::job_new(*model, {"generate", {in.input()}, {{"max_new_tokens", 2}}});
  while (!plain->step() || plain->has_more()) {
  }
  EXPECT_EQ(plain->output_views().size(), 1u) << "no token_timestamps unless asked";

  const auto bad_heads = load_fixture(R"({"decoder_start_token_id": 3, "alignment_heads": [[0, 9]]})");
  const auto refused = api::job_new(*bad_heads, {"generate", {in.input()}, {{"return_token_timestamps", true}}});
  testing::expect_contains(testing::error_message([&] { while (!refused->step()) {} }, error_bad_config),
                           {"generation_config.json", "alignment_heads", "[0, 9]"});
  testing::expect_contains(
      testing::error_message([&] { api::job_new(*model, {"generate", {in.input()}, {{"return_token_timestamps", 1}}}); },
                             error_bad_input),
      {"return_token_timestamps", "true or false"});
}

}  // namespace
}  // namespace wax
