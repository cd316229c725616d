// Kernel benchmarks on named real-model shapes: each line prints GFLOP/s of Eigen's product and
// of our kernel, and the ratio, medians of several runs. Built natively and for wasm (run the
// .js with node); bench/run.mjs runs both.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "ops/kernels/gemm_f32.h"
#include "ops/kernels/quant.h"

namespace {

struct shape {
  const char* name;
  int64_t rows, in, out;
};

// One list drives the benchmark: (model, layer) with rows = tokens per pass.
const shape shapes[] = {
    {"smollm2-135m q_proj, decode", 1, 576, 576},
    {"smollm2-135m gate_proj, decode", 1, 576, 1536},
    {"smollm2-135m lm_head, decode", 1, 576, 49152},
    {"llama-1b gate_proj, decode", 1, 2048, 8192},
    {"smollm2-135m q_proj, prefill 128", 128, 576, 576},
    {"smollm2-135m gate_proj, prefill 128", 128, 576, 1536},
    {"smollm2-135m down_proj, prefill 128", 128, 1536, 576},
    {"minilm-l6 qkv, 1x128", 128, 384, 384},
    {"minilm-l6 intermediate, 1x128", 128, 384, 1536},
    {"minilm-l6 output, 32x128", 4096, 1536, 384},
    {"llama-1b gate_proj, prefill 32", 32, 2048, 8192},
    {"whisper-tiny q_proj, encoder", 1500, 384, 384},
    {"whisper-tiny fc1, encoder", 1500, 384, 1536},
    {"whisper-tiny fc2, encoder", 1500, 1536, 384},
    {"whisper-base fc2, encoder", 1500, 2048, 512},
};

using matrix_rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// `untimed` runs before each timed run (the decode lines evict the caches with it).
double median_seconds(const std::function<void()>& body, int runs, const std::function<void()>& untimed = [] {}) {
  std::vector<double> times;
  body();  // warm up
  for (int i = 0; i < runs; ++i) {
    untimed();
    auto start = std::chrono::steady_clock::now();
    body();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main() {
  std::mt19937 generator(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::printf("%-40s %10s %10s %10s %8s\n", "f32 y = x·wᵀ (GFLOP/s)", "Eigen", "dot", "4x8 packed", "best/Eigen");
  for (const shape& s : shapes) {
    std::vector<float> x(static_cast<size_t>(s.rows * s.in)), w(static_cast<size_t>(s.out * s.in)),
        y(static_cast<size_t>(s.rows * s.out));
    for (float& v : x) v = uniform(generator);
    for (float& v : w) v = uniform(generator);
    const double flops = 2.0 * double(s.rows) * double(s.in) * double(s.out);
    const int runs = flops > 1e9 ? 3 : 9;
    Eigen::Map<const matrix_rm> xm(x.data(), s.rows, s.in), wm(w.data(), s.out, s.in);
    Eigen::Map<matrix_rm> ym(y.data(), s.rows, s.out);
    const double eigen = median_seconds([&] { ym.noalias() = xm * wm.transpose(); }, runs);
    const double dot = median_seconds([&] { wax::gemm_xwt_f32_dot(x.data(), s.rows, s.in, w.data(), s.out, y.data(), s.out); }, runs);
    const wax::weight_view view{wax::dtype::f32, {s.out, s.in}, reinterpret_cast<const std::byte*>(w.data()), w.size() * 4};
    const double packed = median_seconds([&] { wax::gemm_xwt_packed_4x8(x.data(), s.rows, s.in, view, y.data(), s.out); }, runs);
    std::printf("%-40s %10.1f %10.1f %10.1f %8.2f\n", s.name, flops / eigen / 1e9, flops / dot / 1e9, flops / packed / 1e9,
                eigen / std::min(dot, packed));
  }

  // Decode reads every weight once per token, and a model's weights do not stay in the caches
  // from one token to the next: weight bytes per second from memory is what bounds it, so each
  // run starts with the caches flushed by reading 64 MB.
  std::vector<float> flush(16 * 1024 * 1024);
  volatile float flush_sum = 0;
  const auto evict = [&] {
    float total = 0;
    for (size_t i = 0; i < flush.size(); i += 16) total += flush[i]++;
    flush_sum = flush_sum + total;
  };
  std::printf("\n%-40s %10s %10s %10s\n", "one row y = x·wᵀ, caches flushed (GB/s of weights)", "f32 dot", "q8_0", "q4_0");
  for (const shape& s : shapes) {
    if (s.rows != 1) continue;
    std::vector<float> x(static_cast<size_t>(s.in)), w(static_cast<size_t>(s.out * s.in)), y(static_cast<size_t>(s.out));
    for (float& v : x) v = uniform(generator);
    for (float& v : w) v = uniform(generator);
    const wax::weight_view view{wax::dtype::f32, {s.out, s.in}, reinterpret_cast<const std::byte*>(w.data()), w.size() * 4};
    const wax::quantized_matrix q8 = wax::quantize(view, wax::quant_type::q8_0), q4 = wax::quantize(view, wax::quant_type::q4_0);
    const double f32_s = median_seconds([&] { wax::gemm_xwt_f32_dot(x.data(), 1, s.in, w.data(), s.out, y.data(), s.out); }, 21, evict);
    const double q8_s = median_seconds([&] { wax::gemm_xwt_quantized(x.data(), 1, q8, y.data(), s.out, 0, s.out); }, 21, evict);
    const double q4_s = median_seconds([&] { wax::gemm_xwt_quantized(x.data(), 1, q4, y.data(), s.out, 0, s.out); }, 21, evict);
    std::printf("%-40s %10.1f %10.1f %10.1f\n", s.name, w.size() * 4 / f32_s / 1e9, q8.bytes() / q8_s / 1e9, q4.bytes() / q4_s / 1e9);
  }
}
