// Where a BERT forward's time goes: one all-MiniLM-L6-v2-shaped encoder (hidden 384, 6 layers,
// 12 heads, inter 1536) run step by step through the same src/ops calls, in the same order, as
// src/models/bert.cpp, with random weights, each step timed on its own. Prints ms per forward and
// the share of each step, for batch 1 and batch 32 x 128 tokens; then attention's own parts, and
// (one thread) the packed GEMM with and without row blocking.
//   bert_profile [RUNS=5] [THREADS=1]
//
// Not part of the CMake build (a quick instrumented copy of the forward, for issue 6's profile):
//   native: g++ -std=c++20 -O3 -DNDEBUG -Isrc -isystem /usr/include/eigen3 -isystem build/native/include-nlohmann \
//             -DEIGEN_DONT_PARALLELIZE bench/bert_profile.cpp build/native/libwax_core.a -lpthread -o build/bert_profile
//   wasm:   em++ -std=c++20 -O3 -DNDEBUG -msimd128 -fwasm-exceptions -Isrc -isystem /usr/include/eigen3 \
//             -isystem build/wasm/include-nlohmann -DEIGEN_DONT_PARALLELIZE bench/bert_profile.cpp build/wasm/libwax_core.a \
//             -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=4GB -o build/wasm/bert_profile.js   (run with node)
//   wasm, threads: the same with -fexceptions -pthread (not -fwasm-exceptions), build/wasm/libwax_core_threads.a,
//             -sPROXY_TO_PTHREAD -sEXIT_RUNTIME -sPTHREAD_POOL_SIZE=4 -o build/wasm/bert_profile_threads.js
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/thread_pool.h"
#include "ops/activations.h"
#include "ops/attention.h"
#include "ops/matmul.h"
#include "ops/norm.h"
#include "ops/pooling.h"

using namespace wax;

namespace {

constexpr int64_t hidden = 384, layers = 6, heads = 12, head_dim = hidden / heads, inter = 1536, seq = 128;

std::vector<float> random_values(size_t n, float scale, float offset = 0) {
  static std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  std::vector<float> v(n);
  for (float& x : v) x = offset + scale * u(rng);
  return v;
}

struct dense {
  dense(int64_t in, int64_t out) : in(in), out(out), w(random_values(size_t(in * out), 0.08f)), b(random_values(size_t(out), 0.08f)) {
    view.type = dtype::f32;
    view.shape = {out, in};
    view.data = reinterpret_cast<const std::byte*>(w.data());
    view.nbytes = w.size() * sizeof(float);
  }
  int64_t in, out;
  std::vector<float> w, b;
  weight_view view;
};

struct layer_weights {
  dense q{hidden, hidden}, k{hidden, hidden}, v{hidden, hidden}, o{hidden, hidden}, i{hidden, inter}, d{inter, hidden};
  std::vector<float> ln1w = random_values(hidden, 0.1f, 1), ln1b = random_values(hidden, 0.08f);
  std::vector<float> ln2w = random_values(hidden, 0.1f, 1), ln2b = random_values(hidden, 0.08f);
};

using clock_type = std::chrono::steady_clock;
std::map<std::string, double> totals;  // ms
std::vector<std::string> order;

template <class F>
void timed(const std::string& name, F&& f) {
  const auto start = clock_type::now();
  f();
  const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
  if (!totals.count(name)) order.push_back(name);
  totals[name] += ms;
}

// As nn/matrix.cpp's matrix::multiply splits an F32 product across the pool.
void matmul(const dense& d, const float* x, int64_t rows, float* y) {
  thread_pool& pool = thread_pool::instance();
  const int64_t grain = std::max<int64_t>(16, (d.out / (4 * pool.threads()) + 15) / 16 * 16);
  pool.parallel_for(d.out, grain, [&](int64_t first, int64_t end) {
    matmul_xwt(x, rows, d.in, slice_rows(d.view, first, end - first), y + first, d.out);
  });
}

// ops/attention.cpp's computation for one head (Eigen products, the same scalar masked softmax
// without its visibility tests: every key is visible here), its three parts timed apart.
using matrix_rm = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
void attention_parts(const float* q, const float* keys, const float* values, float* out, std::map<std::string, double>& parts) {
  const int64_t row_stride = heads * head_dim;
  matrix_rm scores(seq, seq);
  for (int64_t h = 0; h < heads; ++h) {
    Eigen::Map<const matrix_rm, 0, Eigen::OuterStride<>> q_h(q + h * head_dim, seq, head_dim, Eigen::OuterStride<>(row_stride));
    Eigen::Map<const matrix_rm> k_h(keys + h * seq * head_dim, seq, head_dim), v_h(values + h * seq * head_dim, seq, head_dim);
    Eigen::Map<matrix_rm, 0, Eigen::OuterStride<>> out_h(out + h * head_dim, seq, head_dim, Eigen::OuterStride<>(row_stride));
    auto t0 = std::chrono::steady_clock::now();
    scores.noalias() = (q_h * k_h.transpose()) * (1.0f / std::sqrt(float(head_dim)));
    auto t1 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < seq; ++i) {
      float max_score = -INFINITY, sum = 0;
      for (int64_t j = 0; j < seq; ++j) max_score = std::max(max_score, scores(i, j));
      for (int64_t j = 0; j < seq; ++j) sum += (scores(i, j) = std::exp(scores(i, j) - max_score));
      scores.row(i) /= sum;
    }
    auto t2 = std::chrono::steady_clock::now();
    out_h.noalias() = scores * v_h;
    auto t3 = std::chrono::steady_clock::now();
    parts["Q K^T (Eigen)"] += std::chrono::duration<double, std::milli>(t1 - t0).count();
    parts["softmax (scalar exp)"] += std::chrono::duration<double, std::milli>(t2 - t1).count();
    parts["P V (Eigen)"] += std::chrono::duration<double, std::milli>(t3 - t2).count();
  }
}

void add_bias(const dense& d, int64_t rows, float* y) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < d.out; ++o) y[r * d.out + o] += d.b[size_t(o)];
}

void forward(const std::vector<layer_weights>& ws, std::vector<float>& x, int64_t batch) {
  const int64_t tokens = batch * seq;
  const std::vector<uint8_t> visible(size_t(tokens), 1);
  const std::vector<float> lnw = random_values(hidden, 0.1f, 1), lnb = random_values(hidden, 0.08f);
  timed("embeddings LayerNorm", [&] { layer_norm(x.data(), tokens, hidden, lnw.data(), lnb.data(), 1e-12f, x.data()); });
  for (const layer_weights& w : ws) {
    std::vector<float> q(x.size()), k(x.size()), v(x.size()), context(x.size());
    timed("matmul q,k,v (384->384 x3)", [&] {
      matmul(w.q, x.data(), tokens, q.data());
      matmul(w.k, x.data(), tokens, k.data());
      matmul(w.v, x.data(), tokens, v.data());
    });
    timed("bias adds", [&] { add_bias(w.q, tokens, q.data()); add_bias(w.k, tokens, k.data()); add_bias(w.v, tokens, v.data()); });
    const attention_shape shape{heads, heads, head_dim, seq};
    const std::vector<int64_t> query_slots(size_t(seq), seq - 1);
    std::vector<float> keys(size_t(seq * hidden)), values(keys.size());
    for (int64_t b = 0; b < batch; ++b) {
      timed("k,v relayout (heads, seq, dim)", [&] {
        for (int64_t t = 0; t < seq; ++t)
          for (int64_t h = 0; h < heads; ++h) {
            const int64_t from = ((b * seq + t) * heads + h) * head_dim, to = (h * seq + t) * head_dim;
            std::copy_n(k.begin() + from, head_dim, keys.begin() + to);
            std::copy_n(v.begin() + from, head_dim, values.begin() + to);
          }
      });
      timed("attention (scores, softmax, x V)", [&] {
        attention(q.data() + b * seq * hidden, seq, keys.data(), values.data(), seq, shape, visible.data() + b * seq,
                  query_slots.data(), 0, 1.0f / std::sqrt(float(head_dim)), context.data() + b * seq * hidden);
      });
    }
    timed("matmul attention output (384->384)", [&] { matmul(w.o, context.data(), tokens, q.data()); });
    timed("bias adds", [&] { add_bias(w.o, tokens, q.data()); });
    timed("residual adds + LayerNorm", [&] {
      for (size_t i = 0; i < x.size(); ++i) x[i] += q[i];
      layer_norm(x.data(), tokens, hidden, w.ln1w.data(), w.ln1b.data(), 1e-12f, x.data());
    });
    std::vector<float> inner(size_t(tokens * inter));
    timed("matmul intermediate (384->1536)", [&] { matmul(w.i, x.data(), tokens, inner.data()); });
    timed("bias adds", [&] { add_bias(w.i, tokens, inner.data()); });
    timed("GELU (erf)", [&] { activation_apply(activation::gelu, inner.data(), int64_t(inner.size())); });
    timed("matmul output (1536->384)", [&] { matmul(w.d, inner.data(), tokens, q.data()); });
    timed("bias adds", [&] { add_bias(w.d, tokens, q.data()); });
    timed("residual adds + LayerNorm", [&] {
      for (size_t i = 0; i < x.size(); ++i) x[i] += q[i];
      layer_norm(x.data(), tokens, hidden, w.ln2w.data(), w.ln2b.data(), 1e-12f, x.data());
    });
  }
  std::vector<int32_t> mask(size_t(tokens), 1);
  std::vector<float> pooled(size_t(batch * hidden));
  timed("mean pooling + normalise", [&] {
    mean_pool(x.data(), mask.data(), batch, seq, hidden, pooled.data());
    l2_normalize(pooled.data(), batch, hidden);
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 1;
  thread_pool::instance().set_threads(threads);
  std::vector<layer_weights> ws(layers);
  const double flops_per_token = 2.0 * layers * (4 * hidden * hidden + 2 * hidden * inter);
  for (int64_t batch : {1, 32}) {
    std::vector<float> x0 = random_values(size_t(batch * seq * hidden), 2.0f);
    { std::vector<float> x = x0; forward(ws, x, batch); }  // warm-up
    totals.clear();
    order.clear();
    std::vector<double> wall;
    for (int r = 0; r < (batch == 1 ? runs * 4 : runs); ++r) {
      std::vector<float> x = x0;
      const auto start = clock_type::now();
      forward(ws, x, batch);
      wall.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    }
    std::sort(wall.begin(), wall.end());
    const double n = double(wall.size());
    double sum = 0;
    for (auto& [name, ms] : totals) sum += ms;
    std::printf("\nbatch %lld x %lld tokens, %d thread(s): %.1f ms per forward (median of %d; steps below are means), "
                "linear layers %.1f GFLOP/s\n", (long long)batch, (long long)seq, threads, wall[wall.size() / 2], int(n),
                flops_per_token * double(batch * seq) / ((totals["matmul q,k,v (384->384 x3)"] + totals["matmul attention output (384->384)"] +
                  totals["matmul intermediate (384->1536)"] + totals["matmul output (1536->384)"]) / n * 1e6));
    std::vector<std::string> sorted = order;
    std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return totals[a] > totals[b]; });
    for (const std::string& name : sorted)
      std::printf("  %-36s %8.2f ms  %5.1f %%\n", name.c_str(), totals[name] / n, 100.0 * totals[name] / sum);
  }

  {  // attention's parts, one thread, batch 1's shapes (each batch row repeats them)
    std::map<std::string, double> parts;
    const std::vector<float> q = random_values(size_t(seq * hidden), 2.0f), k = random_values(q.size(), 2.0f), v = random_values(q.size(), 2.0f);
    std::vector<float> out(q.size());
    const int reps = 20 * runs;
    for (int r = 0; r < reps; ++r) attention_parts(q.data(), k.data(), v.data(), out.data(), parts);
    double sum = 0;
    for (auto& part : parts) sum += part.second;
    std::printf("\nattention of one 128-token row, 12 heads, 1 thread: %.2f ms (mean of %d)\n", sum / reps, reps);
    for (auto& part : parts) std::printf("  %-24s %6.3f ms  %5.1f %%\n", part.first.c_str(), part.second / reps, 100 * part.second / sum);
  }
  if (threads > 1) return 0;

  // The packed GEMM streams all of x once per 8-column panel of w: at batch 32 x (4096 rows) no
  // longer fits in cache. The same products made 128 rows at a time show what row blocking gives.
  std::printf("\nrow blocking, batch 32 x 128 (4096 rows), 1 thread, GFLOP/s (median of %d):\n", runs);
  for (const auto& item : {std::pair<const char*, const dense*>{"q (384->384)", &ws[0].q}, {"intermediate (384->1536)", &ws[0].i},
                           {"output (1536->384)", &ws[0].d}}) {
    const char* name = item.first;
    const dense* d = item.second;
    const int64_t rows = 32 * seq;
    const std::vector<float> x = random_values(size_t(rows * d->in), 2.0f);
    std::vector<float> y(size_t(rows * d->out));
    auto gflops = [&](int64_t block) {
      std::vector<double> ms;
      for (int r = 0; r < runs; ++r) {
        const auto start = clock_type::now();
        for (int64_t first = 0; first < rows; first += block)
          matmul_xwt(x.data() + first * d->in, std::min(block, rows - first), d->in, d->view, y.data() + first * d->out, d->out);
        ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
      }
      std::sort(ms.begin(), ms.end());
      return 2.0 * double(rows * d->in * d->out) / (ms[ms.size() / 2] * 1e6);
    };
    const double whole = gflops(rows), b256 = gflops(256), b128 = gflops(128), b64 = gflops(64);
    std::printf("  %-26s whole %5.1f   256-row blocks %5.1f   128 %5.1f   64 %5.1f\n", name, whole, b256, b128, b64);
  }
}
