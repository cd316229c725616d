#include "ops/rope.h"

#include <cmath>

namespace wax {

std::vector<float> rope_inv_freq_default(int64_t rotary_dim, double theta) {
  std::vector<float> inv_freq(static_cast<size_t>(rotary_dim / 2));
  for (int64_t i = 0; i < rotary_dim / 2; ++i)
    inv_freq[size_t(i)] = float(1.0 / std::pow(theta, double(2 * i) / double(rotary_dim)));
  return inv_freq;
}

void rope_scale_llama3(std::vector<float>& inv_freq, double factor, double low_freq_factor,
                       double high_freq_factor, double original_max_position_embeddings) {
  const double pi = 3.14159265358979323846;
  const double low_freq_wavelen = original_max_position_embeddings / low_freq_factor;
  const double high_freq_wavelen = original_max_position_embeddings / high_freq_factor;
  for (float& frequency : inv_freq) {
    const double wavelen = 2 * pi / frequency;
    if (wavelen < high_freq_wavelen) continue;
    if (wavelen > low_freq_wavelen) {
      frequency = float(frequency / factor);
      continue;
    }
    const double smooth = (original_max_position_embeddings / wavelen - low_freq_factor) /
                          (high_freq_factor - low_freq_factor);
    frequency = float((1 - smooth) * frequency / factor + smooth * frequency);
  }
}

void rope_apply(float* x, int64_t n_tokens, int64_t n_heads, int64_t head_dim, const int64_t* positions,
                const std::vector<float>& inv_freq, float attention_scaling) {
  const int64_t half = int64_t(inv_freq.size());
  std::vector<float> cos_table(static_cast<size_t>(half)), sin_table(static_cast<size_t>(half));
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      // The angle is rounded to f32 before cos/sin, as the upstream float32 code does.
      const float angle = float(positions[t]) * inv_freq[size_t(i)];
      cos_table[size_t(i)] = float(std::cos(double(angle))) * attention_scaling;
      sin_table[size_t(i)] = float(std::sin(double(angle))) * attention_scaling;
    }
    for (int64_t h = 0; h < n_heads; ++h) {
      float* head = x + (t * n_heads + h) * head_dim;
      for (int64_t i = 0; i < half; ++i) {
        const float first = head[i], second = head[i + half];
        head[i] = first * cos_table[size_t(i)] - second * sin_table[size_t(i)];
        head[i + half] = second * cos_table[size_t(i)] + first * sin_table[size_t(i)];
      }
    }
  }
}

}  // namespace wax
