#include "audio/log_mel.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>
#include <string>

#include <Eigen/Core>
#include <unsupported/Eigen/FFT>

#include "core/error.h"
#include "core/sizes.h"
#include "core/thread_pool.h"
#include "io/config.h"

namespace wax {

namespace {

const char* const config_file = "preprocessor_config.json";

// Whisper's filters stop at 8 kHz whatever the sampling rate (the upstream constructor's constant).
constexpr double mel_max_frequency = 8000;
// log10 is taken of max(mel, mel_floor); then everything below max − dynamic_range_log10 is raised to it.
constexpr float mel_floor = 1e-10f;
constexpr float dynamic_range_log10 = 8;

// Slaney's mel scale (librosa's default): linear below 1 kHz, logarithmic above.
constexpr double slaney_min_log_hertz = 1000, slaney_min_log_mel = 15;
const double slaney_log_step = std::log(6.4) / 27;

double hertz_to_mel(double hertz) {
  if (hertz < slaney_min_log_hertz) return 3 * hertz / 200;
  return slaney_min_log_mel + std::log(hertz / slaney_min_log_hertz) / slaney_log_step;
}

double mel_to_hertz(double mel) {
  if (mel < slaney_min_log_mel) return 200 * mel / 3;
  return slaney_min_log_hertz * std::exp(slaney_log_step * (mel - slaney_min_log_mel));
}

// numpy.linspace(start, stop, count): start + i · step, the last exactly `stop`.
std::vector<double> linspace(double start, double stop, int64_t count) {
  std::vector<double> values(size_t(count), start);
  const double step = count > 1 ? (stop - start) / double(count - 1) : 0;
  for (int64_t i = 0; i < count; ++i) values[size_t(i)] = double(i) * step + start;
  if (count > 1) values.back() = stop;
  return values;
}

// The value a stored n_samples / nb_max_frames must have; upstream derives them and ignores the file.
void check_derived(const config_reader& reader, const std::string& field, int64_t derived, const std::string& how) {
  const std::optional<int64_t> stored = reader.optional_int(field);
  if (stored && *stored != derived) reader.fail(field, how + " = " + std::to_string(derived));
}

}  // namespace

whisper_feature_config whisper_feature_config::from_json(std::string_view preprocessor_config_json) {
  const json object = config_parse(preprocessor_config_json, config_file);
  const config_reader reader(object, config_file);
  whisper_feature_config c;
  c.feature_size = reader.dimension("feature_size", c.feature_size);
  c.sampling_rate = reader.dimension("sampling_rate", c.sampling_rate);
  c.hop_length = reader.dimension("hop_length", c.hop_length);
  c.n_fft = reader.dimension("n_fft", c.n_fft);
  c.chunk_length = reader.dimension("chunk_length", c.chunk_length);
  c.padding_value = reader.optional_number("padding_value").value_or(c.padding_value);
  if (!std::isfinite(c.padding_value)) reader.fail("padding_value", "a finite number");
  // Both factors are at most max_dimension (2^24): the product fits in 64 bits.
  c.n_samples = c.chunk_length * c.sampling_rate;
  c.nb_max_frames = c.n_samples / c.hop_length;
  check_derived(reader, "n_samples", c.n_samples, "chunk_length × sampling_rate");
  check_derived(reader, "nb_max_frames", c.nb_max_frames, "n_samples / hop_length");
  if (c.n_fft < 2 || c.n_fft > c.n_samples)
    reader.fail("n_fft", "at least 2 and at most n_samples (" + std::to_string(c.n_samples) + ")");
  if (c.hop_length >= c.n_samples)
    reader.fail("hop_length", "less than n_samples (" + std::to_string(c.n_samples) + ")");
  return c;
}

tensor mel_filter_bank(int64_t num_frequency_bins, int64_t num_mel_filters, double min_frequency, double max_frequency,
                       int64_t sampling_rate) {
  const std::vector<double> filter_hertz =  // (num_mel_filters + 2,) edges and centres
      [&] {
        std::vector<double> mels = linspace(hertz_to_mel(min_frequency), hertz_to_mel(max_frequency), num_mel_filters + 2);
        for (double& mel : mels) mel = mel_to_hertz(mel);
        return mels;
      }();
  // sampling_rate // 2, as upstream: an odd rate's Nyquist is rounded down.
  const std::vector<double> fft_hertz = linspace(0, double(sampling_rate / 2), num_frequency_bins);
  tensor filters({num_frequency_bins, num_mel_filters}, "the mel filter bank");
  for (int64_t m = 0; m < num_mel_filters; ++m) {
    const double lower = filter_hertz[size_t(m)], centre = filter_hertz[size_t(m + 1)], upper = filter_hertz[size_t(m + 2)];
    const double slaney_norm = 2 / (upper - lower);  // each filter's area is the same
    for (int64_t f = 0; f < num_frequency_bins; ++f) {
      const double rising = (fft_hertz[size_t(f)] - lower) / (centre - lower);
      const double falling = (upper - fft_hertz[size_t(f)]) / (upper - centre);
      filters.row(f)[m] = float(std::max(0.0, std::min(rising, falling)) * slaney_norm);
    }
  }
  return filters;
}

log_mel_spectrogram::log_mel_spectrogram(const whisper_feature_config& config)
    : config_(config),
      window_(size_t(config.n_fft)),
      filters_(mel_filter_bank(config.n_fft / 2 + 1, config.feature_size, 0, mel_max_frequency, config.sampling_rate)) {
  // Periodic Hann (torch.hann_window, numpy.hanning(n + 1)[:-1]): the STFT's frames overlap-add to a constant.
  for (int64_t i = 0; i < config.n_fft; ++i)
    window_[size_t(i)] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(config.n_fft));
  const Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> dense(
      filters_.data(), filters_.dim(0), filters_.dim(1));
  mel_projection_ = dense.transpose().sparseView();
}

tensor log_mel_spectrogram::operator()(const float* samples, int64_t n) const {
  if (n <= 0) throw error(error_bad_input, "audio: no samples (empty audio); expected at least one sample");
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(samples[i]))
      throw error(error_bad_input, "audio: sample " + std::to_string(i) + " is " + (std::isnan(samples[i]) ? "NaN" : "infinite") +
                                       "; expected finite values");

  const int64_t n_fft = config_.n_fft, hop = config_.hop_length, n_samples = config_.n_samples;
  const int64_t n_frequencies = n_fft / 2 + 1, n_mels = config_.feature_size;
  // The audio padded or trimmed to n_samples, then reflected by n_fft/2 at each end (center=True).
  const int64_t pad = n_fft / 2;
  std::vector<double> padded(checked_elements({n_samples + 2 * pad}, sizeof(double), "the padded audio"));  // (n_samples + 2·pad,)
  for (int64_t i = 0; i < int64_t(padded.size()); ++i) {
    int64_t j = i - pad;
    if (j < 0) j = -j;
    if (j >= n_samples) j = 2 * (n_samples - 1) - j;
    padded[size_t(i)] = j < n ? double(samples[j]) : config_.padding_value;
  }
  // The STFT's last frame is dropped, as upstream does.
  const int64_t frames = (int64_t(padded.size()) - n_fft) / hop;
  tensor features({n_mels, frames}, "the log-mel features");  // (n_mels, frames)

  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<row_major> out(features.data(), n_mels, frames);
  // The FFT in float64: bins 10^4 below the loudest still reach the features after the max − 8
  // floor, and float32 rounding of the loudest bins would swamp them.
  thread_pool::instance().parallel_for(frames, 64, [&](int64_t begin, int64_t end) {
    Eigen::FFT<double> fft;  // caches its plan: one per chunk, as chunks run on several threads
    std::vector<double> frame(static_cast<size_t>(n_fft));
    std::vector<std::complex<double>> spectrum;  // (n_fft,): the full spectrum, which every n_fft supports
    row_major power(end - begin, n_frequencies);  // (chunk frames, n_frequencies) = |X|²
    for (int64_t t = begin; t < end; ++t) {
      const double* source = padded.data() + t * hop;
      // Silence (the zero padding of a short clip: most of a 30 s window) has no power; no FFT needed.
      if (std::all_of(source, source + n_fft, [](double x) { return x == 0; })) {
        power.row(t - begin).setZero();
        continue;
      }
      for (int64_t i = 0; i < n_fft; ++i) frame[size_t(i)] = source[i] * window_[size_t(i)];
      fft.fwd(spectrum, frame);
      for (int64_t f = 0; f < n_frequencies; ++f) power(t - begin, f) = float(std::norm(spectrum[size_t(f)]));
    }
    auto mel = out.middleCols(begin, end - begin);  // (n_mels, chunk frames)
    mel.noalias() = mel_projection_ * power.transpose();
    mel = mel.array().max(mel_floor).log10().matrix();
  });
  const float floor = out.maxCoeff() - dynamic_range_log10;
  out = ((out.array().max(floor) + 4.0f) / 4.0f).matrix();
  return features;
}

}  // namespace wax
