// Each hand-written kernel against its scalar twin on odd shapes (the same sums in the same
// order, so float paths agree to rounding and integer paths exactly).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/dtype.h"
#include "ops/kernels/gemm_f32.h"

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

TEST(kernels, gemm_xwt_f32_4x4_equals_its_scalar_twin) {
  for (int64_t rows : odd_rows)
    for (int64_t in : odd_in)
      for (int64_t out : odd_out) {
        SCOPED_TRACE(testing::Message() << rows << "x" << in << "x" << out);
        const auto x = random_floats(size_t(rows * in), 1), w = random_floats(size_t(out * in), 2);
        std::vector<float> y(size_t(rows * out)), expected(y.size());
        gemm_xwt_f32_4x4(x.data(), rows, in, w.data(), out, y.data(), out);
        gemm_xwt_f32_4x4_scalar(x.data(), rows, in, w.data(), out, expected.data(), out);
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
          const tensor_view view{type, {out, in},
                                 type == dtype::f32 ? reinterpret_cast<const std::byte*>(w.data()) : reinterpret_cast<const std::byte*>(halves.data()),
                                 size_t(out * in) * dtype_size(type)};
          std::vector<float> y(size_t(rows * out)), expected(y.size());
          gemm_xwt_packed_4x8(x.data(), rows, in, view, y.data(), out);
          gemm_xwt_packed_4x8_scalar(x.data(), rows, in, view, expected.data(), out);
          expect_relative_close(y, expected);
        }
}

}  // namespace
}  // namespace wax
