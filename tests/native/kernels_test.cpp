// Each hand-written kernel against its scalar twin on odd shapes (the same sums in the same
// order, so float paths agree to rounding and integer paths exactly).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "ops/kernels/gemm_f32.h"
#include "ops/kernels/quant.h"
#include "ops/kernels/vector_math.h"

namespace wax {
namespace {

std::vector<float> random_floats(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::vector<float> values(count);
  for (float& v : values) v = uniform(generator);
  return values;
}

void expect_relative_close(const std::vector<float>& actual, const std::vector<float>& expected) {
  float scale = 1e-30f;
  for (float v : expected) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < actual.size(); ++i) ASSERT_NEAR(actual[i], expected[i], 1e-5f * scale) << "at " << i;
}

const int64_t odd_rows[] = {1, 3, 4, 5, 9};
const int64_t odd_in[] = {1, 3, 31, 33, 4095};
const int64_t odd_out[] = {1, 3, 8, 13, 65};

TEST(kernels, gemm_xwt_f32_dot_equals_its_scalar_twin) {
  for (int64_t rows : odd_rows)
    for (int64_t in : odd_in)
      for (int64_t out : odd_out) {
        SCOPED_TRACE(testing::Message() << rows << "x" << in << "x" << out);
        const auto x = random_floats(size_t(rows * in), 1), w = random_floats(size_t(out * in), 2);
        std::vector<float> y(size_t(rows * out)), expected(y.size());
        gemm_xwt_f32_dot(x.data(), rows, in, w.data(), out, y.data(), out);
        gemm_xwt_f32_dot_scalar(x.data(), rows, in, w.data(), out, expected.data(), out);
        expect_relative_close(y, expected);
      }
}

TEST(kernels, gemm_xwt_packed_4x8_equals_its_scalar_twin_for_each_weight_dtype) {
  for (dtype type : {dtype::f32, dtype::bf16, dtype::f16})
    for (int64_t rows : odd_rows)
      for (int64_t in : odd_in)
        for (int64_t out : odd_out) {
          SCOPED_TRACE(testing::Message() << dtype_name(type) << " " << rows << "x" << in << "x" << out);
          const auto x = random_floats(size_t(rows * in), 3), w = random_floats(size_t(out * in), 4);
          std::vector<uint16_t> halves(w.size());
          // F16 patterns in [0x3000, 0x4000) are normal numbers in [0.125, 2).
          for (size_t i = 0; i < w.size(); ++i) halves[i] = type == dtype::bf16 ? f32_to_bf16(w[i]) : uint16_t(0x3000 + (i * 2654435761u) % 0x1000);
          const weight_view view{type, {out, in},
                                 type == dtype::f32 ? reinterpret_cast<const std::byte*>(w.data()) : reinterpret_cast<const std::byte*>(halves.data()),
                                 size_t(out * in) * dtype_size(type)};
          std::vector<float> y(size_t(rows * out)), expected(y.size());
          gemm_xwt_packed_4x8(x.data(), rows, in, view, y.data(), out);
          gemm_xwt_packed_4x8_scalar(x.data(), rows, in, view, expected.data(), out);
          expect_relative_close(y, expected);
        }
}

weight_view f32_view(const std::vector<float>& values, int64_t rows, int64_t cols) {
  return {dtype::f32, {rows, cols}, reinterpret_cast<const std::byte*>(values.data()), values.size() * sizeof(float)};
}

// Attention's use: keys packed by rows, values by columns, a product reading the first `in` rows
// of panels packed for more (causal blocks see a prefix of the keys).
TEST(kernels, gemm_xwt_panels_of_rows_and_of_columns_equal_the_scalar_twin) {
  for (int64_t rows : odd_rows)
    for (int64_t in : odd_in)
      for (int64_t out : odd_out) {
        SCOPED_TRACE(testing::Message() << rows << "x" << in << "x" << out);
        const int64_t packed_in = in + 5;
        const auto x = random_floats(size_t(rows * in), 5), w = random_floats(size_t(out * packed_in), 6);
        std::vector<float> w_prefix(size_t(out * in)), w_columns(size_t(packed_in * out));  // (out, in); (packed_in, out)
        for (int64_t o = 0; o < out; ++o)
          for (int64_t k = 0; k < packed_in; ++k) {
            if (k < in) w_prefix[size_t(o * in + k)] = w[size_t(o * packed_in + k)];
            w_columns[size_t(k * out + o)] = w[size_t(o * packed_in + k)];
          }
        std::vector<float> expected(size_t(rows * out)), by_rows(expected.size()), by_columns(expected.size());
        gemm_xwt_packed_4x8_scalar(x.data(), rows, in, f32_view(w_prefix, out, in), expected.data(), out);
        std::vector<float> panels(size_t(packed_panels_floats(in, out)));
        pack_rows_into_panels(w_prefix.data(), in, out, panels.data());
        gemm_xwt_panels(x.data(), rows, in, panels.data(), in, out, by_rows.data(), out);
        expect_relative_close(by_rows, expected);
        panels.assign(size_t(packed_panels_floats(packed_in, out)), 0.0f);
        pack_columns_into_panels(w_columns.data(), packed_in, out, panels.data());
        gemm_xwt_panels(x.data(), rows, in, panels.data(), packed_in, out, by_columns.data(), out);
        expect_relative_close(by_columns, expected);
      }
}

// exp and erf four lanes at a time against libm's double versions, over the whole float range
// the activations and the softmax meet.
TEST(kernels, vector_exp_and_erf_match_libm) {
  std::vector<float> inputs = {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, 100.0f, -87.3f, -87.4f, -100.0f, -INFINITY};
  for (int i = 0; i <= 4000; ++i) inputs.push_back(-90.0f + 0.045f * float(i));
  while (inputs.size() % 4) inputs.push_back(1.0f);
  for (size_t i = 0; i < inputs.size(); i += 4) {
    float e[4], f[4];
    simd::store(e, simd::exp(simd::load(&inputs[i])));
    simd::store(f, simd::erf(simd::load(&inputs[i])));
    for (int lane = 0; lane < 4; ++lane) {
      const double x = inputs[i + size_t(lane)];
      SCOPED_TRACE(testing::Message() << "x = " << x);
      if (x < -87.33654) EXPECT_EQ(e[lane], 0.0f);  // below the normal floats: flushed to zero
      else EXPECT_NEAR(e[lane], std::exp(std::min(x, 88.0)), 3e-7 * std::exp(std::min(x, 88.0)));
      EXPECT_NEAR(f[lane], std::erf(x), 3e-7);
    }
  }
}

TEST(kernels, gemm_xwt_quantized_equals_its_scalar_twin) {
  for (quant_type type : {quant_type::q8_0, quant_type::q4_0})
    for (int64_t rows : {1, 3, 5})
      for (int64_t in : odd_in)
        for (int64_t out : odd_out) {
          SCOPED_TRACE(testing::Message() << (type == quant_type::q8_0 ? "q8_0 " : "q4_0 ") << rows << "x" << in << "x" << out);
          const auto x = random_floats(size_t(rows * in), 5), w = random_floats(size_t(out * in), 6);
          const quantized_matrix q = quantize(f32_view(w, out, in), type);
          std::vector<float> y(size_t(rows * out)), expected(y.size());
          gemm_xwt_quantized(x.data(), rows, q, y.data(), out, 0, out);
          gemm_xwt_quantized_scalar(x.data(), rows, q, expected.data(), out);
          EXPECT_EQ(y, expected);  // the same integer sums, scaled and added in the same order
        }
}

// Q8_0 rounds to the nearest level: half a step. Q4_0's levels run from -8 to +7 steps with the
// largest magnitude at -8, so a value near +8 steps saturates at +7: one step. The scale itself
// is stored in f16.
TEST(kernels, quantization_error_is_within_half_a_step_or_one_where_q4_saturates) {
  const int64_t rows = 7, cols = 101;  // a partial last block
  const auto w = random_floats(size_t(rows * cols), 7);
  for (quant_type type : {quant_type::q8_0, quant_type::q4_0}) {
    const quantized_matrix q = quantize(f32_view(w, rows, cols), type);
    EXPECT_EQ(q.blocks, 4);
    // values and f16 scales, rows rounded up to a group of four
    EXPECT_EQ(q.bytes(), size_t(8 * q.blocks * ((type == quant_type::q8_0 ? 32 : 16) + 2)));
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      dequantize_row(q, r, row.data());
      for (int64_t i = 0; i < cols; ++i) {
        const float step = f16_to_f32(q.scale_bits(r, i / quant_block));
        // plus the f16 rounding of the scale (2^-11 relative), times the largest level
        const float levels = type == quant_type::q8_0 ? 127.0f : 8.0f;
        const float bound = std::abs(step) * ((type == quant_type::q8_0 ? 0.5f : 1.0f) + levels / 2048.0f) + 1e-6f;
        EXPECT_LE(std::abs(row[size_t(i)] - w[size_t(r * cols + i)]), bound)
            << "row " << r << " column " << i;
        // exactly a whole level times the step, within the type's range
        const float level = step != 0 ? row[size_t(i)] / step : 0.0f;
        EXPECT_EQ(level, std::round(level)) << "row " << r << " column " << i;
        EXPECT_LE(level, type == quant_type::q8_0 ? 127.0f : 7.0f);
        EXPECT_GE(level, type == quant_type::q8_0 ? -127.0f : -8.0f);
      }
    }
  }
}

TEST(kernels, quantized_product_approximates_the_float_product) {
  const int64_t rows = 3, in = 576, out = 70;
  const auto x = random_floats(size_t(rows * in), 8), w = random_floats(size_t(out * in), 9);
  const quantized_matrix q = quantize(f32_view(w, out, in), quant_type::q8_0);
  std::vector<float> dequantized(w.size()), y(size_t(rows * out)), expected(y.size());
  for (int64_t o = 0; o < out; ++o) dequantize_row(q, o, dequantized.data() + o * in);
  gemm_xwt_quantized(x.data(), rows, q, y.data(), out, 0, out);
  gemm_xwt_f32_dot_scalar(x.data(), rows, in, dequantized.data(), out, expected.data(), out);
  // The only difference left is the 8-bit activations: about 0.4 % of a dot product's scale.
  float scale = 0;
  for (float v : expected) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 0.01f * scale);
}

TEST(kernels, f16_encoding_round_trips_every_finite_half) {
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff)) continue;  // NaN payloads
    ASSERT_EQ(f32_to_f16(f16_to_f32(uint16_t(bits))), bits) << std::hex << bits;
  }
  EXPECT_EQ(f32_to_f16(1e6f), 0x7c00);         // overflow → +inf
  EXPECT_EQ(f32_to_f16(1.0f + 1.0f / 4096), 0x3c00);  // halfway between 1 and the next half rounds to even
}

}  // namespace
}  // namespace wax
