#include "generation/token_timestamps.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace wax {

warping_path dynamic_time_warping(const std::vector<double>& cost, int64_t rows, int64_t cols) {
  enum step : uint8_t { diagonal, down, right };
  const int64_t width = cols + 1;
  std::vector<double> total(size_t((rows + 1) * width), std::numeric_limits<double>::infinity());
  std::vector<uint8_t> trace(size_t((rows + 1) * width), right);
  total[0] = 0;
  for (int64_t j = 1; j <= cols; ++j)
    for (int64_t i = 1; i <= rows; ++i) {
      const double c0 = total[size_t((i - 1) * width + j - 1)], c1 = total[size_t((i - 1) * width + j)],
                   c2 = total[size_t(i * width + j - 1)];
      double best = c2;
      step from = right;
      if (c0 < c1 && c0 < c2) best = c0, from = diagonal;
      else if (c1 < c0 && c1 < c2) best = c1, from = down;
      total[size_t(i * width + j)] = cost[size_t((i - 1) * cols + j - 1)] + best;
      trace[size_t(i * width + j)] = from;
    }
  for (int64_t j = 0; j <= cols; ++j) trace[size_t(j)] = right;  // the first row only runs left
  for (int64_t i = 1; i <= rows; ++i) trace[size_t(i * width)] = down;  // the first column only runs up
  warping_path path;
  for (int64_t i = rows, j = cols; i > 0 || j > 0;) {
    path.rows.push_back(i - 1);
    path.cols.push_back(j - 1);
    const step from = step(trace[size_t(i * width + j)]);
    if (from != right) --i;
    if (from != down) --j;
  }
  std::reverse(path.rows.begin(), path.rows.end());
  std::reverse(path.cols.begin(), path.cols.end());
  return path;
}

void median_filter(float* row, int64_t n, int64_t width) {
  const int64_t half = width / 2;
  if (n <= half) return;
  std::vector<float> padded(size_t(n + 2 * half)), window(static_cast<size_t>(width));
  for (int64_t i = -half; i < n + half; ++i) {
    const int64_t mirrored = i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
    padded[size_t(i + half)] = row[std::clamp<int64_t>(mirrored, 0, n - 1)];
  }
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(padded.begin() + i, width, window.begin());
    std::nth_element(window.begin(), window.begin() + half, window.end());
    row[i] = window[size_t(half)];
  }
}

std::vector<float> token_timestamps(const float* weights, int64_t positions, int64_t heads, int64_t n_keys,
                                    int64_t n_frames, int64_t median_filter_width, double time_precision) {
  const int64_t frames = std::clamp<int64_t>(n_frames, 1, n_keys);
  // Each head's weights standardised per frame over the positions, then smoothed along the frames.
  std::vector<float> matrix(size_t(positions * frames), 0.0f);  // (positions, frames): the heads' mean
  std::vector<float> scores(size_t(positions * frames));         // one head's
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t p = 0; p < positions; ++p)
      std::copy_n(weights + (p * heads + h) * n_keys, frames, scores.begin() + p * frames);
    for (int64_t f = 0; f < frames; ++f) {
      double sum = 0, squares = 0;
      for (int64_t p = 0; p < positions; ++p) sum += scores[size_t(p * frames + f)];
      const double mean = sum / double(positions);
      for (int64_t p = 0; p < positions; ++p) squares += std::pow(scores[size_t(p * frames + f)] - mean, 2);
      const double deviation = std::sqrt(squares / double(positions));
      for (int64_t p = 0; p < positions; ++p) {
        float& s = scores[size_t(p * frames + f)];
        s = deviation > 0 ? float((s - mean) / deviation) : 0.0f;  // one position: nothing to tell apart
      }
    }
    for (int64_t p = 0; p < positions; ++p) {
      median_filter(scores.data() + p * frames, frames, median_filter_width);
      for (int64_t f = 0; f < frames; ++f) matrix[size_t(p * frames + f)] += scores[size_t(p * frames + f)] / float(heads);
    }
  }
  std::vector<double> cost(matrix.size());
  for (size_t i = 0; i < matrix.size(); ++i) cost[i] = -double(matrix[i]);
  const warping_path path = dynamic_time_warping(cost, positions, frames);
  // A token starts at the frame where the path first reaches its position.
  std::vector<float> times{0.0f};
  for (size_t i = 0; i < path.rows.size(); ++i)
    if (i == 0 || path.rows[i] != path.rows[i - 1]) times.push_back(float(double(path.cols[i]) * time_precision));
  return times;
}

std::vector<std::pair<int64_t, int64_t>> alignment_heads_from(const json& generation_config, int64_t n_layers,
                                                              int64_t n_heads) {
  std::vector<std::pair<int64_t, int64_t>> heads;
  const auto found = generation_config.find("alignment_heads");
  if (found == generation_config.end() || found->is_null()) {
    for (int64_t layer = n_layers / 2; layer < n_layers; ++layer)
      for (int64_t head = 0; head < n_heads; ++head) heads.emplace_back(layer, head);
    return heads;
  }
  const auto fail = [&] {
    throw error(error_bad_config, "generation_config.json: alignment_heads must be a non-empty list of [layer, head] pairs, got " +
                                      json_describe(*found));
  };
  if (!found->is_array() || found->empty()) fail();
  for (const json& pair : *found) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() || !pair[1].is_number_integer()) fail();
    heads.emplace_back(pair[0].get<int64_t>(), pair[1].get<int64_t>());
  }
  return heads;
}

}  // namespace wax
