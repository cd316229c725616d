// Each op against a scalar reference written here in double precision, on odd shapes: matmul per
// weight dtype, RMSNorm, RoPE with its three frequency scalings, masked attention, the gated
// activations, and the half-precision conversions the kernels read weights through.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "core/weight_view.h"
#include "ops/activations.h"
#include "ops/attention.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/rope.h"

namespace wax {
namespace {

constexpr double pi = 3.14159265358979323846;

std::vector<float> random_floats(size_t count, float low, float high, uint32_t seed) {
  std::mt19937 engine(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> values(count);
  for (float& v : values) v = uniform(engine);
  return values;
}

// max |actual - reference| <= tolerance · max |reference|; a NaN anywhere fails.
template <typename Reference>
void expect_close(const std::vector<float>& actual, const std::vector<Reference>& reference, double tolerance) {
  ASSERT_EQ(actual.size(), reference.size());
  double scale = 0, worst = 0;
  size_t worst_at = 0;
  for (Reference v : reference) scale = std::max(scale, std::abs(double(v)));
  for (size_t i = 0; i < actual.size(); ++i) {
    const double difference = std::abs(double(actual[i]) - double(reference[i]));
    if (!(difference <= worst)) worst = difference, worst_at = i;
  }
  EXPECT_LE(worst, tolerance * scale) << "worst at " << worst_at << ": " << actual[worst_at] << " vs "
                                      << reference[worst_at] << ", reference scale " << scale;
}

// A 16-bit IEEE-style float decoded from its fields, independently of core/dtype.h: binary16 has
// 10 mantissa bits, bfloat16 7; the exponent takes the rest after the sign.
double half_value(uint16_t bits, int mantissa_bits) {
  const int exponent_max = (1 << (15 - mantissa_bits)) - 1, bias = exponent_max / 2;
  const int exponent = (bits >> mantissa_bits) & exponent_max, mantissa = bits & ((1 << mantissa_bits) - 1);
  const double magnitude =
      exponent == exponent_max ? (mantissa ? NAN : INFINITY)
                               : std::ldexp(exponent ? mantissa + (1 << mantissa_bits) : mantissa,
                                            std::max(exponent, 1) - bias - mantissa_bits);  // subnormal when 0
  return bits & 0x8000 ? -magnitude : magnitude;
}
double f16_value(uint16_t bits) { return half_value(bits, 10); }
double bf16_value(uint16_t bits) { return half_value(bits, 7); }

// w (out, in) stored as `type`, and the exact values it decodes to.
struct stored_weight {
  dtype type;
  shape_t shape;
  std::vector<std::byte> bytes;
  std::vector<double> values;
  weight_view view() const { return {type, shape, bytes.data(), bytes.size()}; }
};

stored_weight make_weight(dtype type, int64_t out, int64_t in, uint32_t seed) {
  const size_t count = size_t(out * in);
  stored_weight w{type, {out, in}, std::vector<std::byte>(count * dtype_size(type)), {}};
  if (type == dtype::f32) {
    const std::vector<float> values = random_floats(count, -1, 1, seed);
    std::memcpy(w.bytes.data(), values.data(), w.bytes.size());
    w.values.assign(values.begin(), values.end());
    return w;
  }
  std::vector<uint16_t> bits(count);
  if (type == dtype::bf16) {
    const std::vector<float> values = random_floats(count, -1, 1, seed);
    for (size_t i = 0; i < count; ++i) bits[i] = f32_to_bf16(values[i]);
  } else {  // random f16 fields: any sign and mantissa, magnitudes in [2^-4, 2)
    std::mt19937 engine(seed);
    for (uint16_t& b : bits) b = uint16_t((engine() & 0x83ff) | (11 + engine() % 5) << 10);
  }
  std::memcpy(w.bytes.data(), bits.data(), w.bytes.size());
  for (uint16_t b : bits) w.values.push_back(type == dtype::bf16 ? bf16_value(b) : f16_value(b));
  return w;
}

class matmul_xwt_test : public ::testing::TestWithParam<dtype> {};

TEST_P(matmul_xwt_test, matches_scalar_reference_on_odd_shapes) {
  // out 130 spans three 64-row panels of the half-precision path, the last one partial.
  for (int64_t rows : {1, 3, 7}) {
    for (int64_t in : {1, 3, 31, 33, 129}) {
      for (int64_t out : {1, 5, 63, 65, 130}) {
        SCOPED_TRACE("rows " + std::to_string(rows) + ", in " + std::to_string(in) + ", out " + std::to_string(out));
        const stored_weight w = make_weight(GetParam(), out, in, uint32_t(rows * 1000 + in * 10 + out));
        const std::vector<float> x = random_floats(size_t(rows * in), -1, 1, uint32_t(in + out));
        std::vector<double> expected(size_t(rows * out));  // (rows, out)
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t o = 0; o < out; ++o)
            for (int64_t i = 0; i < in; ++i)
              expected[size_t(r * out + o)] += double(x[size_t(r * in + i)]) * w.values[size_t(o * in + i)];

        std::vector<float> y(expected.size(), NAN), y_reference(expected.size(), NAN);
        matmul_xwt(x.data(), rows, in, w.view(), y.data(), out);
        matmul_xwt_reference(x.data(), rows, in, w.view(), y_reference.data());
        expect_close(y, expected, 1e-5);
        expect_close(y, y_reference, 1e-5);
        expect_close(y_reference, expected, 1e-7);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(weight_dtypes, matmul_xwt_test, ::testing::Values(dtype::f32, dtype::f16, dtype::bf16),
                         [](const auto& info) { return std::string(dtype_name(info.param)); });

TEST(rms_norm, matches_scalar_formula_on_odd_dims_and_in_place) {
  for (int64_t dim : {1, 3, 33, 577}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const int64_t rows = 3;
    const float eps = 1e-6f;
    std::vector<float> x = random_floats(size_t(rows * dim), -2, 2, uint32_t(dim));  // (rows, dim)
    std::fill(x.end() - dim, x.end(), 0.0f);  // an all-zero row: eps keeps it finite
    const std::vector<float> weight = random_floats(size_t(dim), 0.5f, 1.5f, uint32_t(dim + 1));
    std::vector<double> expected(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = &x[size_t(r * dim)];
      double mean_square = 0;
      for (int64_t i = 0; i < dim; ++i) mean_square += double(row[i]) * row[i] / double(dim);
      const double inverse_rms = 1 / std::sqrt(mean_square + eps);
      for (int64_t i = 0; i < dim; ++i) expected[size_t(r * dim + i)] = row[i] * inverse_rms * weight[size_t(i)];
    }

    std::vector<float> y(x.size(), NAN);
    rms_normalize(x.data(), rows, dim, weight.data(), eps, y.data());
    expect_close(y, expected, 1e-5);
    rms_normalize(x.data(), rows, dim, weight.data(), eps, x.data());
    EXPECT_EQ(x, y);
  }
}

TEST(layer_norm, matches_scalar_formula_on_odd_dims_and_in_place) {
  for (int64_t dim : {1, 3, 33, 385}) {
    SCOPED_TRACE("dim " + std::to_string(dim));
    const int64_t rows = 3;
    const float eps = 1e-12f;
    std::vector<float> x = random_floats(size_t(rows * dim), -2, 2, uint32_t(dim));  // (rows, dim)
    std::fill(x.end() - dim, x.end(), 0.5f);  // a constant row: eps keeps it finite, the output is the bias
    const std::vector<float> weight = random_floats(size_t(dim), 0.5f, 1.5f, uint32_t(dim + 1));
    const std::vector<float> bias = random_floats(size_t(dim), -0.5f, 0.5f, uint32_t(dim + 2));
    std::vector<double> expected(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = &x[size_t(r * dim)];
      double mean = 0, variance = 0;
      for (int64_t i = 0; i < dim; ++i) mean += double(row[i]) / double(dim);
      for (int64_t i = 0; i < dim; ++i) variance += (row[i] - mean) * (row[i] - mean) / double(dim);
      for (int64_t i = 0; i < dim; ++i)
        expected[size_t(r * dim + i)] = (row[i] - mean) / std::sqrt(variance + eps) * weight[size_t(i)] + bias[size_t(i)];
    }

    std::vector<float> y(x.size(), NAN);
    layer_normalize(x.data(), rows, dim, weight.data(), bias.data(), eps, y.data());
    expect_close(y, expected, 1e-5);
    layer_normalize(x.data(), rows, dim, weight.data(), bias.data(), eps, x.data());
    EXPECT_EQ(x, y);
  }
}

std::vector<double> default_frequencies(int64_t head_dim, double theta) {
  std::vector<double> frequencies;
  for (int64_t i = 0; i < head_dim / 2; ++i)
    frequencies.push_back(std::pow(theta, -2.0 * double(i) / double(head_dim)));
  return frequencies;
}

// Llama 3.1's rope_scaling (factor 32, low 1, high 4, original 8192), after transformers'
// _compute_llama3_parameters. bands_seen collects which of the three branches each frequency took.
constexpr double llama3_factor = 32, llama3_low = 1, llama3_high = 4, llama3_original = 8192;

std::vector<double> llama3_frequencies(std::vector<double> frequencies, std::vector<bool>* bands_seen) {
  for (double& f : frequencies) {
    const double wavelen = 2 * pi / f;
    int band;
    if (wavelen < llama3_original / llama3_high) {
      band = 0;
    } else if (wavelen > llama3_original / llama3_low) {
      band = 2, f /= llama3_factor;
    } else {
      const double smooth = (llama3_original / wavelen - llama3_low) / (llama3_high - llama3_low);
      band = 1, f = (1 - smooth) * f / llama3_factor + smooth * f;
    }
    if (bands_seen) (*bands_seen)[size_t(band)] = true;
  }
  return frequencies;
}

TEST(rope_frequencies, default_and_llama3_match_transformers_formulas) {
  for (int64_t head_dim : {32, 128}) {
    SCOPED_TRACE("head_dim " + std::to_string(head_dim));
    expect_close(rope_inv_freq_default(head_dim, 10000), default_frequencies(head_dim, 10000), 1e-6);
    std::vector<float> scaled = rope_inv_freq_default(head_dim, 500000);
    rope_scale_llama3(scaled, llama3_factor, llama3_low, llama3_high, llama3_original);
    std::vector<bool> bands_seen(3);
    const std::vector<double> expected = llama3_frequencies(default_frequencies(head_dim, 500000), &bands_seen);
    EXPECT_EQ(bands_seen, std::vector<bool>({true, true, true})) << "high, medium and low frequency bands";
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(scaled[i], expected[i], 1e-6 * expected[i]) << i;
  }
}

// The rotate-half pairing (x_i, x_{i+half}) as the complex number x_i + i·x_{i+half}, turned by
// e^{i·angle}. The angle is position · inv_freq rounded to f32, as transformers computes it in
// float32: at position 5000 that rounding moves the angle by up to 3e-4 rad, far above 1e-5.
std::vector<double> rope_reference(const std::vector<float>& x, int64_t n_heads, int64_t head_dim,
                                   const std::vector<int64_t>& positions, const std::vector<float>& inv_freq,
                                   double attention_scaling) {
  std::vector<double> out(x.begin(), x.end());
  const int64_t half = int64_t(inv_freq.size());
  for (size_t t = 0; t < positions.size(); ++t)
    for (int64_t h = 0; h < n_heads; ++h)
      for (int64_t i = 0; i < half; ++i) {
        const size_t at = (t * size_t(n_heads) + size_t(h)) * size_t(head_dim) + size_t(i);
        const float angle = float(positions[t]) * inv_freq[size_t(i)];
        const std::complex<double> turned =
            std::complex<double>(x[at], x[at + size_t(half)]) * std::polar(attention_scaling, double(angle));
        out[at] = turned.real();
        out[at + size_t(half)] = turned.imag();
      }
  return out;
}

TEST(rope_apply, matches_complex_rotation_for_each_scaling) {
  const std::vector<int64_t> positions = {0, 1, 37, 5000, 100000};
  const int64_t n_heads = 3;
  for (int64_t head_dim : {32, 128}) {
    const std::vector<double> base = default_frequencies(head_dim, 500000);
    std::vector<double> linear = base;
    for (double& f : linear) f /= 8;
    const struct {
      const char* name;
      std::vector<double> frequencies;
      float attention_scaling;
    } scalings[] = {{"default", base, 1.0f}, {"default, attention_scaling 1.25", base, 1.25f},
                    {"linear", linear, 1.0f}, {"llama3", llama3_frequencies(base, nullptr), 1.0f}};
    for (const auto& scaling : scalings) {
      SCOPED_TRACE(std::string(scaling.name) + ", head_dim " + std::to_string(head_dim));
      const std::vector<float> inv_freq(scaling.frequencies.begin(), scaling.frequencies.end());
      std::vector<float> x = random_floats(positions.size() * size_t(n_heads * head_dim), -1, 1, uint32_t(head_dim));
      const std::vector<double> expected =
          rope_reference(x, n_heads, head_dim, positions, inv_freq, scaling.attention_scaling);
      rope_apply(x.data(), int64_t(positions.size()), n_heads, head_dim, positions.data(), inv_freq,
                 scaling.attention_scaling);
      expect_close(x, expected, 1e-6);
    }
  }
}

struct attention_case {
  const char* name;
  int64_t n_heads, n_kv_heads, head_dim;
  std::vector<uint8_t> key_visible;  // one per key
  std::vector<int64_t> query_slots;  // one per query (their slots matter to the causal kind only)
  int64_t window;
  attention_mask_kind kind = attention_mask_kind::causal;
  bool with_bias = false;
};

bool naive_sees(const attention_case& c, int64_t query, int64_t key) {
  if (!c.key_visible[size_t(key)] && c.kind != attention_mask_kind::none) return false;
  if (c.kind != attention_mask_kind::causal) return true;
  const int64_t slot = c.query_slots[size_t(query)];
  return key <= slot && (c.window <= 0 || key > slot - c.window);
}

// Softmax(q·kᵀ · scale + bias) · v over the keys a query may see, in double; blind[i] is set when
// query i sees none. q (n_queries, n_heads, head_dim); keys, values (n_kv_heads, key_stride,
// head_dim); bias empty or (n_heads, n_queries, n_keys).
std::vector<double> naive_attention(const attention_case& c, const std::vector<float>& q,
                                    const std::vector<float>& keys, const std::vector<float>& values,
                                    const std::vector<float>& bias, int64_t key_stride, double scale,
                                    std::vector<bool>& blind) {
  const size_t n_queries = c.query_slots.size(), n_keys = c.key_visible.size(), d = size_t(c.head_dim);
  std::vector<double> out(n_queries * size_t(c.n_heads) * d);
  blind.assign(n_queries, true);
  for (size_t i = 0; i < n_queries; ++i) {
    for (int64_t h = 0; h < c.n_heads; ++h) {
      const size_t row = (i * size_t(c.n_heads) + size_t(h)) * d;
      const size_t kv_head = size_t(h / (c.n_heads / c.n_kv_heads) * key_stride) * d;  // as transformers' repeat_kv
      std::vector<size_t> seen;
      std::vector<double> weights;
      for (int64_t j = 0; j < int64_t(n_keys); ++j) {
        if (!naive_sees(c, int64_t(i), j)) continue;
        double dot = 0;
        for (size_t e = 0; e < d; ++e) dot += double(q[row + e]) * keys[kv_head + size_t(j) * d + e];
        seen.push_back(kv_head + size_t(j) * d);
        weights.push_back(dot * scale + (bias.empty() ? 0.0 : bias[(size_t(h) * n_queries + i) * n_keys + size_t(j)]));
      }
      if (seen.empty()) continue;
      blind[i] = false;
      const double max_weight = *std::max_element(weights.begin(), weights.end());
      double sum = 0;
      for (double& w : weights) sum += w = std::exp(w - max_weight);
      for (size_t k = 0; k < seen.size(); ++k)
        for (size_t e = 0; e < d; ++e) out[row + e] += weights[k] / sum * values[seen[k] + e];
    }
  }
  return out;
}

// (n_kv_heads, key_stride, head_dim): the first n_keys positions random, the rest NaN, which
// poisons the output if attention ever reads past n_keys.
std::vector<float> make_cache(const attention_case& c, int64_t key_stride, float bound, uint32_t seed) {
  const int64_t filled = int64_t(c.key_visible.size()) * c.head_dim;
  std::vector<float> cache = random_floats(size_t(c.n_kv_heads * key_stride * c.head_dim), -bound, bound, seed);
  for (int64_t kv = 0; kv < c.n_kv_heads; ++kv) {
    const auto head = cache.begin() + kv * key_stride * c.head_dim;
    std::fill(head + filled, head + key_stride * c.head_dim, NAN);
  }
  return cache;
}

TEST(attention, matches_naive_softmax_under_every_mask) {
  const std::vector<attention_case> cases = {
      {"grouped query, causal prefill after 5 cached", 6, 2, 8, std::vector<uint8_t>(9, 1), {5, 6, 7, 8}, 0},
      {"multi-query, left padding", 4, 1, 3, {0, 0, 0, 1, 1, 1, 1}, {0, 1, 2, 3, 4, 5, 6}, 0},
      {"grouped query, sliding window over holes", 6, 2, 8, {1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1},
       {3, 4, 5, 6, 7, 8, 9, 10}, 4},
      {"multi-query decode in a window", 4, 1, 3, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1}, {11}, 3},
      {"window holding only padding", 6, 2, 3, {1, 1, 1, 0, 0}, {2, 4}, 2},
      {"one key", 4, 1, 8, {1}, {0}, 0},
      {"grouped query decode, wide heads (the SIMD paths and their tails)", 6, 2, 67, std::vector<uint8_t>(40, 1), {39}, 0},
      {"decode over holes, heads of 4", 4, 2, 4, {1, 0, 1, 1, 0, 1}, {5}, 0},
      {"bidirectional, every key (the padding entries ignored)", 4, 4, 8, {1, 0, 1, 1, 0, 1, 1}, {0, 0, 0, 0, 0, 0, 0}, 0,
       attention_mask_kind::none},
      {"bidirectional over padding, 20 queries (two blocks)", 6, 6, 5, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0},
       std::vector<int64_t>(20, 0), 0, attention_mask_kind::padding},
      {"bidirectional over padding, one query", 4, 2, 16, {0, 1, 1, 0, 1}, {0}, 0, attention_mask_kind::padding},
      {"causal with an additive bias", 6, 2, 8, {1, 1, 0, 1, 1, 1}, {2, 3, 4, 5}, 0, attention_mask_kind::causal, true},
      {"padding with an additive bias", 4, 4, 7, {1, 1, 1, 0, 1, 1, 0}, {0, 0, 0, 0, 0, 0, 0}, 0,
       attention_mask_kind::padding, true},
      {"decode with an additive bias", 4, 1, 20, {1, 1, 1, 1, 0, 1}, {5}, 0, attention_mask_kind::causal, true},
  };
  int blind_queries = 0;
  for (const attention_case& c : cases) {
    SCOPED_TRACE(c.name);
    const int64_t n_queries = int64_t(c.query_slots.size()), n_keys = int64_t(c.key_visible.size());
    const int64_t key_stride = n_keys + 3;  // the cache's capacity
    const std::vector<float> keys = make_cache(c, key_stride, 2, 1), values = make_cache(c, key_stride, 1, 2);
    const std::vector<float> q = random_floats(size_t(n_queries * c.n_heads * c.head_dim), -2, 2, 3);
    const float scale = 1.0f / std::sqrt(float(c.head_dim));
    const std::vector<float> bias =
        c.with_bias ? random_floats(size_t(c.n_heads * n_queries * n_keys), -3, 3, 4) : std::vector<float>{};
    std::vector<bool> blind;
    const std::vector<double> expected = naive_attention(c, q, keys, values, bias, key_stride, scale, blind);

    const attention_shape shape{c.n_heads, c.n_kv_heads, c.head_dim, key_stride};
    const attention_mask mask{c.kind, c.kind == attention_mask_kind::none ? nullptr : c.key_visible.data(),
                              c.query_slots.data(), c.window};
    const float* bias_data = bias.empty() ? nullptr : bias.data();
    std::vector<float> out(expected.size(), NAN), out_reference(expected.size(), NAN);
    scaled_dot_product_attention(q.data(), n_queries, keys.data(), values.data(), n_keys, shape, mask, bias_data,
                                 scale, out.data());
    scaled_dot_product_attention_reference(q.data(), n_queries, keys.data(), values.data(), n_keys, shape, mask,
                                           bias_data, scale, out_reference.data());
    expect_close(out, expected, 1e-5);
    expect_close(out_reference, expected, 1e-6);
    const size_t row = size_t(c.n_heads * c.head_dim);
    for (size_t i = 0; i < blind.size(); ++i) {
      if (!blind[i]) continue;
      ++blind_queries;
      for (size_t e = i * row; e < (i + 1) * row; ++e) {
        EXPECT_EQ(out[e], 0.0f) << "query " << i << " sees no key";
        EXPECT_EQ(out_reference[e], 0.0f) << "query " << i << " sees no key";
      }
    }
  }
  EXPECT_EQ(blind_queries, 4) << "slots 0-2 of the left-padded case and slot 4 of the padded window";
}

double activation_reference(activation kind, double x) {
  switch (kind) {
    case activation::silu: return x / (1 + std::exp(-x));
    case activation::gelu: return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
    case activation::gelu_tanh: return 0.5 * x * (1 + std::tanh(std::sqrt(2 / pi) * (x + 0.044715 * x * x * x)));
    case activation::relu: return std::max(x, 0.0);
  }
  return NAN;
}

const std::string activation_names[] = {"silu", "gelu", "gelu_tanh", "relu"};  // in enum order

class gated_activation_test : public ::testing::TestWithParam<activation> {};

TEST_P(gated_activation_test, matches_scalar_formula) {
  std::vector<float> inputs = {0.0f, -0.0f, 1e-4f, -1e-4f, 30, -30, 100, -100};
  for (int i = 0; i <= 64; ++i) inputs.push_back(-12.0f + 0.375f * float(i));
  const std::vector<float> up = random_floats(inputs.size(), -2, 2, 4);
  std::vector<float> plain = inputs, gated = inputs;
  activation_apply(GetParam(), plain.data(), int64_t(plain.size()));
  gated_activation(GetParam(), gated.data(), up.data(), int64_t(gated.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    // f32 erf/tanh near ±1 cancel in 1 + erf: the error scales with |x|, not with the result.
    const double expected = activation_reference(GetParam(), inputs[i]);
    const double tolerance = 2e-6 * std::max(1.0, std::abs(double(inputs[i])));
    EXPECT_NEAR(plain[i], expected, tolerance) << "x = " << inputs[i];
    EXPECT_NEAR(gated[i], expected * up[i], tolerance * std::abs(up[i])) << "x = " << inputs[i];
  }
}

INSTANTIATE_TEST_SUITE_P(kinds, gated_activation_test,
                         ::testing::Values(activation::silu, activation::gelu, activation::gelu_tanh, activation::relu),
                         [](const auto& info) { return activation_names[int(info.param)]; });

TEST(activation_from_name, maps_config_hidden_act_names) {
  const std::vector<std::pair<const char*, std::optional<activation>>> names = {
      {"silu", activation::silu},           {"swish", activation::silu},
      {"gelu", activation::gelu},           {"gelu_pytorch_tanh", activation::gelu_tanh},
      {"gelu_new", activation::gelu_tanh},  {"gelu_fast", activation::gelu_tanh},
      {"relu", activation::relu},           {"quick_gelu", std::nullopt},
      {"SiLU", std::nullopt},               {"tanh", std::nullopt},
      {"", std::nullopt},
  };
  for (const auto& [name, expected] : names) EXPECT_EQ(activation_from_name(name), expected) << "'" << name << "'";
}

// NaN for NaN; otherwise the same value with the same sign (so -0 stays -0).
bool same_float(double actual, double expected) {
  if (std::isnan(expected)) return std::isnan(actual);
  return actual == expected && std::signbit(actual) == std::signbit(expected);
}

TEST(f16_to_f32, decodes_every_bit_pattern) {
  // Anchors for the field decoder: 1, -2, the largest and smallest normals, the smallest and
  // (negated) largest subnormals, ±inf, -0.
  const std::pair<uint16_t, double> anchors[] = {{0x3c00, 1.0},     {0xc000, -2.0},      {0x7bff, 65504.0},
                                                 {0x0400, 0x1p-14}, {0x0001, 0x1p-24},   {0x83ff, -0x1.ff8p-15},
                                                 {0x7c00, INFINITY}, {0xfc00, -INFINITY}, {0x8000, -0.0}};
  for (const auto& [bits, value] : anchors) EXPECT_TRUE(same_float(f16_value(bits), value)) << std::hex << bits;
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7e00)) && std::isnan(f16_to_f32(0xfc01)));
  for (uint32_t bits = 0; bits <= 0xffff; ++bits)
    EXPECT_TRUE(same_float(f16_to_f32(uint16_t(bits)), f16_value(uint16_t(bits))))
        << std::hex << bits << ": " << f16_to_f32(uint16_t(bits)) << " vs " << f16_value(uint16_t(bits));
}

TEST(bf16, round_trips_every_bit_pattern_and_rounds_to_nearest_even) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float value = bf16_to_f32(uint16_t(bits));
    EXPECT_TRUE(same_float(value, bf16_value(uint16_t(bits)))) << std::hex << bits;
    if (!std::isnan(value)) {
      EXPECT_EQ(f32_to_bf16(value), bits) << std::hex << bits;
    }
  }
  // bf16 keeps 7 mantissa bits: one ulp above 1 is 2^-7.
  EXPECT_EQ(f32_to_bf16(1 + 0x1p-8f), 0x3f80);          // a tie, down to even
  EXPECT_EQ(f32_to_bf16(1 + 0x3p-8f), 0x3f82);          // a tie, up to even
  EXPECT_EQ(f32_to_bf16(1 + 0x1p-8f + 0x1p-20f), 0x3f81);  // above the tie
  EXPECT_EQ(f32_to_bf16(-1 - 0x3p-8f), 0xbf82);
  EXPECT_EQ(f32_to_bf16(3.4028235e38f), 0x7f80);  // overflows to infinity, as torch does
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::signaling_NaN()))));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(-std::numeric_limits<float>::quiet_NaN()))));
}

}  // namespace
}  // namespace wax
