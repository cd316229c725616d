// Native side of bench/run.mjs: prefill and decode tokens/s of a Llama checkpoint folder.
// Usage: wax_bench_llama <folder> <prompt_tokens> <decode_tokens> <runs> [threads] [dtype]; prints one JSON line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "generation/generate.h"
#include "models/causal_lm.h"

using namespace wax;

namespace {

byte_buffer read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  byte_buffer bytes = byte_buffer::allocate(size_t(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  return bytes;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s <folder> <prompt_tokens> <decode_tokens> <runs> [threads] [dtype]\n", argv[0]);
    return 2;
  }
  thread_pool::instance().set_threads(argc > 5 ? std::atoi(argv[5]) : 1);
  const std::string dtype = argc > 6 ? argv[6] : "fp32";
  const std::string folder = argv[1];
  const int prompt_tokens = std::atoi(argv[2]), decode_tokens = std::atoi(argv[3]), runs = std::atoi(argv[4]);
  try {
    std::stringstream config;
    config << std::ifstream(folder + "/config.json").rdbuf();
    weights w;
    w.add_file("model.safetensors", read_file(folder + "/model.safetensors"));
    load_options options;
    options.dtype = dtype;
    auto model = causal_lm_load(config.str(), std::move(w), options);

    std::vector<int32_t> prompt(static_cast<size_t>(prompt_tokens));
    for (int i = 0; i < prompt_tokens; ++i) prompt[size_t(i)] = int32_t((i * 7919 + 1) % model->vocab_size());
    std::vector<float> logits(size_t(prompt_tokens) * size_t(model->vocab_size()));
    std::vector<double> prefill, decode;
    generate_options one, many;
    one.max_new_tokens = 1;
    many.max_new_tokens = decode_tokens + 1;
    for (int run = 0; run < runs; ++run) {
      auto start = std::chrono::steady_clock::now();
      kv_cache cache = model->new_cache(1, prompt_tokens);
      model->forward(prompt.data(), nullptr, 1, prompt_tokens, cache, logits_for::all_positions, logits.data());
      prefill.push_back(prompt_tokens / seconds_since(start));

      start = std::chrono::steady_clock::now();
      generate(*model, prompt.data(), nullptr, 1, 1, one);
      const double first = seconds_since(start);
      start = std::chrono::steady_clock::now();
      generate(*model, prompt.data(), nullptr, 1, 1, many);
      decode.push_back(decode_tokens / (seconds_since(start) - first));
    }
    std::printf("{\"prefill_tokens_per_s\": %.3f, \"decode_tokens_per_s\": %.3f}\n", median(prefill), median(decode));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wax_bench_llama: %s\n", e.what());
    return 1;
  }
}
