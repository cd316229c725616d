// Whisper's input features: the log-mel spectrogram of transformers' WhisperFeatureExtractor
// (models/whisper/feature_extraction_whisper.py over audio_utils.py's spectrogram and
// mel_filter_bank), which is openai/whisper's audio.py log_mel_spectrogram:
//   audio padded with padding_value (or trimmed) to n_samples → reflect-padded by n_fft/2 on each
//   side → periodic Hann window, n_fft-point STFT every hop_length samples, |X|² → the last frame
//   dropped → Slaney mel filters → log10 (clamped at 1e-10) → floored at max − 8 → (x + 4) / 4.
// Storage is row-major, as everywhere in wax.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <Eigen/SparseCore>

#include "core/tensor.h"

namespace wax {

// preprocessor_config.json of a WhisperFeatureExtractor; field names verbatim, defaults as the
// upstream constructor's.
struct whisper_feature_config {
  int64_t feature_size = 80;  // mel bins: 80, or 128 (large-v3, turbo)
  int64_t sampling_rate = 16000;
  int64_t hop_length = 160;
  int64_t n_fft = 400;
  int64_t chunk_length = 30;     // seconds in one window
  int64_t n_samples = 480000;    // chunk_length · sampling_rate (derived upstream: a stored value must agree)
  int64_t nb_max_frames = 3000;  // n_samples / hop_length (the same)
  double padding_value = 0;      // what short audio is padded with

  // Throws WAX_BAD_CONFIG naming the field that is malformed or out of range.
  static whisper_feature_config from_json(std::string_view preprocessor_config_json);
};

// The Slaney-scale triangular filters with Slaney area normalisation, as transformers'
// mel_filter_bank(num_frequency_bins, num_mel_filters, min_frequency, max_frequency,
// sampling_rate, norm="slaney", mel_scale="slaney") and librosa.filters.mel(htk=False).
tensor mel_filter_bank(int64_t num_frequency_bins, int64_t num_mel_filters, double min_frequency, double max_frequency,
                       int64_t sampling_rate);  // (num_frequency_bins, num_mel_filters)

class log_mel_spectrogram {
 public:
  explicit log_mel_spectrogram(const whisper_feature_config& config);

  // `samples` (n,) mono at sampling_rate → (feature_size, nb_max_frames). Throws WAX_BAD_INPUT for
  // empty audio or a sample that is NaN or infinite, naming its index.
  tensor operator()(const float* samples, int64_t n) const;

  const tensor& filters() const { return filters_; }  // (n_fft/2 + 1, feature_size)

 private:
  whisper_feature_config config_;
  std::vector<double> window_;  // (n_fft,) periodic Hann
  tensor filters_;              // (n_fft/2 + 1, feature_size)
  // filters_ transposed and sparse: each bin feeds at most two filters, so the mel projection of a
  // frame costs ~2 · (n_fft/2 + 1) products instead of (n_fft/2 + 1) · feature_size.
  Eigen::SparseMatrix<float, Eigen::RowMajor> mel_projection_;  // (feature_size, n_fft/2 + 1)
};

}  // namespace wax
