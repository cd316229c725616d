// audio/log_mel.h against transformers' WhisperFeatureExtractor (the whisper_tiny_random oracle:
// its filter bank and the features of its waveform), and on other sizes against a plain DFT twin.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>

#include "audio/log_mel.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "test_util.h"

namespace wax {
namespace {

using testing::npy_array;

std::string fixture(const std::string& file) { return testing::fixture_path("whisper_tiny_random/" + file); }

whisper_feature_config oracle_config() { return whisper_feature_config::from_json(testing::read_text(fixture("preprocessor_config.json"))); }

double max_abs_difference(const tensor& actual, const std::vector<double>& expected) {
  EXPECT_EQ(size_t(actual.numel()), expected.size());
  double worst = 0;
  for (size_t i = 0; i < expected.size() && i < size_t(actual.numel()); ++i)
    worst = std::max(worst, std::abs(double(actual.data()[i]) - expected[i]));
  return worst;
}

std::vector<float> to_float(const npy_array& a) { return {a.values.begin(), a.values.end()}; }

std::vector<float> sine(int64_t n, double hertz, int64_t sampling_rate, float amplitude = 0.5f) {
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[size_t(i)] = amplitude * float(std::sin(2 * std::numbers::pi * hertz * double(i) / double(sampling_rate)));
  return out;
}

TEST(log_mel, filter_bank_matches_transformers) {
  const whisper_feature_config config = oracle_config();
  const npy_array expected = testing::read_npy(fixture("mel_filters.npy"));
  const log_mel_spectrogram extract(config);
  ASSERT_EQ(extract.filters().shape(), shape_t(expected.shape.begin(), expected.shape.end()));
  EXPECT_LE(max_abs_difference(extract.filters(), expected.values), 1e-6);
}

class log_mel_threads : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override { thread_pool::instance().set_threads(GetParam()); }
  void TearDown() override { thread_pool::instance().set_threads(1); }
};

TEST_P(log_mel_threads, features_match_transformers) {
  const npy_array waveform = testing::read_npy(fixture("waveform_16k.npy"));
  const npy_array expected = testing::read_npy(fixture("input_features.npy"));  // (1, 80, 3000)
  const std::vector<float> samples = to_float(waveform);
  const tensor features = log_mel_spectrogram(oracle_config())(samples.data(), int64_t(samples.size()));
  ASSERT_EQ(features.shape(), shape_t(expected.shape.begin() + 1, expected.shape.end()));
  EXPECT_LE(max_abs_difference(features, expected.values), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(threads, log_mel_threads, ::testing::Values(1, 2));

TEST(log_mel, short_audio_is_padded_and_long_audio_trimmed_to_n_samples) {
  const whisper_feature_config config = oracle_config();
  const log_mel_spectrogram extract(config);
  const std::vector<float> long_audio = sine(config.n_samples + 5 * config.sampling_rate, 440, config.sampling_rate);
  const tensor trimmed = extract(long_audio.data(), int64_t(long_audio.size()));
  const tensor first_window = extract(long_audio.data(), config.n_samples);
  EXPECT_EQ(trimmed.shape(), (shape_t{config.feature_size, config.nb_max_frames}));
  EXPECT_EQ(trimmed.values(), first_window.values());

  std::vector<float> short_audio = sine(config.sampling_rate, 440, config.sampling_rate);  // 1 s
  const tensor padded = extract(short_audio.data(), int64_t(short_audio.size()));
  short_audio.resize(size_t(config.n_samples), 0.0f);
  EXPECT_EQ(padded.values(), extract(short_audio.data(), int64_t(short_audio.size())).values());
  EXPECT_EQ(padded.shape(), (shape_t{config.feature_size, config.nb_max_frames}));
  // The padding is silence: its frames sit on the floor, 2 below the loudest frame's peak.
  const float* lowest_bin = padded.row(0);
  EXPECT_FLOAT_EQ(lowest_bin[config.nb_max_frames - 1], *std::max_element(padded.values().begin(), padded.values().end()) - 2.0f);
}

TEST(log_mel, large_v3_sizes_give_128_bins) {
  const whisper_feature_config config = whisper_feature_config::from_json(R"({"feature_size": 128, "sampling_rate": 16000,
    "hop_length": 160, "n_fft": 400, "chunk_length": 30, "n_samples": 480000, "nb_max_frames": 3000})");
  const log_mel_spectrogram extract(config);
  ASSERT_EQ(extract.filters().shape(), (shape_t{201, 128}));
  for (int64_t m = 0; m < 128; ++m) {  // every filter covers some bin
    float column_max = 0;
    for (int64_t f = 0; f < 201; ++f) column_max = std::max(column_max, extract.filters().row(f)[m]);
    EXPECT_GT(column_max, 0.0f) << "mel filter " << m;
  }
  const std::vector<float> tone = sine(2 * config.sampling_rate, 1000, config.sampling_rate);
  const tensor features = extract(tone.data(), int64_t(tone.size()));
  ASSERT_EQ(features.shape(), (shape_t{128, 3000}));
  const auto [low, high] = std::minmax_element(features.values().begin(), features.values().end());
  EXPECT_TRUE(std::isfinite(*low) && std::isfinite(*high));
  EXPECT_FLOAT_EQ(*high - *low, 2.0f);  // the max − 8 floor, scaled by 1/4
  // The loudest bin of a frame in the tone is the filter whose centre is nearest 1 kHz.
  int64_t loudest = 0;
  for (int64_t m = 0; m < 128; ++m)
    if (features.row(m)[50] > features.row(loudest)[50]) loudest = m;
  const double step = 8000.0 / 200;  // fft bin width at 16 kHz / 400
  double best_centre = 0, best_weight = 0;
  for (int64_t f = 0; f < 201; ++f)
    if (extract.filters().row(f)[loudest] > best_weight) best_weight = extract.filters().row(f)[loudest], best_centre = double(f) * step;
  EXPECT_NEAR(best_centre, 1000, 2 * step);
}

// A plain O(n²) DFT twin of the whole pipeline, for sizes the oracle does not cover (an odd n_fft).
tensor reference_log_mel(const whisper_feature_config& c, const tensor& filters, const std::vector<float>& audio) {
  std::vector<double> x(size_t(c.n_samples), c.padding_value);
  std::copy_n(audio.begin(), std::min<int64_t>(c.n_samples, int64_t(audio.size())), x.begin());
  const int64_t pad = c.n_fft / 2, n_freq = c.n_fft / 2 + 1;
  const auto at = [&](int64_t j) { return x[size_t(j < 0 ? -j : j >= c.n_samples ? 2 * (c.n_samples - 1) - j : j)]; };
  const int64_t frames = (c.n_samples + 2 * pad - c.n_fft) / c.hop_length;
  tensor out({c.feature_size, frames});
  for (int64_t t = 0; t < frames; ++t) {
    std::vector<double> power(static_cast<size_t>(n_freq));
    for (int64_t f = 0; f < n_freq; ++f) {
      std::complex<double> sum = 0;
      for (int64_t i = 0; i < c.n_fft; ++i) {
        const double window = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(c.n_fft));
        sum += at(t * c.hop_length + i - pad) * window * std::polar(1.0, -2 * std::numbers::pi * double(f * i) / double(c.n_fft));
      }
      power[size_t(f)] = std::norm(sum);
    }
    for (int64_t m = 0; m < c.feature_size; ++m) {
      double mel = 0;
      for (int64_t f = 0; f < n_freq; ++f) mel += power[size_t(f)] * filters.row(f)[m];
      out.row(m)[t] = float(std::log10(std::max(mel, 1e-10)));
    }
  }
  const float top = *std::max_element(out.values().begin(), out.values().end());
  for (float& v : out.values()) v = (std::max(v, top - 8) + 4) / 4;
  return out;
}

TEST(log_mel, other_sizes_match_a_plain_dft) {
  for (const char* text : {R"({"feature_size": 40, "sampling_rate": 8000, "hop_length": 80, "n_fft": 201, "chunk_length": 1,
                              "padding_value": 0.25})",
                           R"({"feature_size": 64, "sampling_rate": 16000, "hop_length": 256, "n_fft": 512, "chunk_length": 1})"}) {
    const whisper_feature_config config = whisper_feature_config::from_json(text);
    const log_mel_spectrogram extract(config);
    std::vector<float> audio = sine(config.sampling_rate / 2, 300, config.sampling_rate, 0.3f);
    const std::vector<float> overtone = sine(int64_t(audio.size()), 2500, config.sampling_rate, 0.05f);
    for (size_t i = 0; i < audio.size(); ++i) audio[i] += overtone[i];
    const tensor features = extract(audio.data(), int64_t(audio.size()));
    const tensor expected = reference_log_mel(config, extract.filters(), audio);
    ASSERT_EQ(features.shape(), expected.shape()) << text;
    EXPECT_LE(max_abs_difference(features, {expected.values().begin(), expected.values().end()}), 1e-5) << text;
  }
}

TEST(log_mel, bad_audio_names_the_sample) {
  const log_mel_spectrogram extract(oracle_config());
  std::vector<float> audio(1000, 0.1f);
  testing::expect_contains(testing::error_message([&] { extract(audio.data(), 0); }, error_bad_input), {"audio", "empty"});
  audio[123] = std::numeric_limits<float>::quiet_NaN();
  testing::expect_contains(testing::error_message([&] { extract(audio.data(), 1000); }, error_bad_input), {"sample 123", "NaN"});
  audio[123] = 0;
  audio[999] = -std::numeric_limits<float>::infinity();
  testing::expect_contains(testing::error_message([&] { extract(audio.data(), 1000); }, error_bad_input), {"sample 999", "infinite"});
}

TEST(log_mel, bad_config_names_the_field) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1, 2])", "expected a JSON object"},
      {R"({"feature_size": "80"})", "'feature_size'"},
      {R"({"feature_size": 0})", "'feature_size'"},
      {R"({"sampling_rate": -16000})", "'sampling_rate'"},
      {R"({"hop_length": 1.5})", "'hop_length'"},
      {R"({"n_fft": 1})", "'n_fft'"},
      {R"({"chunk_length": 1, "n_fft": 20000})", "'n_fft'"},
      {R"({"chunk_length": 1, "hop_length": 16000})", "'hop_length'"},
      {R"({"n_samples": 480001})", "'n_samples'"},
      {R"({"hop_length": 100, "nb_max_frames": 3000})", "'nb_max_frames'"},
      {R"({"padding_value": "zero"})", "'padding_value'"},
  };
  for (const auto& [text, field] : cases) {
    const std::string message = testing::error_message([&] { whisper_feature_config::from_json(text); }, error_bad_config);
    testing::expect_contains(message, {"preprocessor_config.json", field});
  }
}

}  // namespace
}  // namespace wax
