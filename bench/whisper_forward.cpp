// Whisper encoder and decoder speed on the real model (src/models/whisper.cpp), natively, on a
// checkpoint folder written by tools/random-whisper.mjs (config.json + model.safetensors): the
// encoder over 30 s of features (3000 frames), the cross-attention keys/values, then `tokens`
// single-token decoder steps with the KV cache. Prints one JSON line of medians.
//   wax_bench_whisper FOLDER [runs=3] [threads=1] [tokens=64]
// Where the time goes (perf works here with the cpu-clock event):
//   perf record -e cpu-clock -g build/native-bench/wax_bench_whisper bench/.cache/whisper-tiny-random 2 1
//   perf report --no-children --sort symbol
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "models/registry.h"
#include "models/seq2seq.h"

using namespace wax;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <typename F>
double time_ms(F&& run) {
  const auto start = std::chrono::steady_clock::now();
  run();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: wax_bench_whisper FOLDER [runs=3] [threads=1] [tokens=64]\n");
    return 2;
  }
  const std::string folder = argv[1];
  const int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  thread_pool::instance().set_threads(argc > 3 ? std::atoi(argv[3]) : 1);
  const int64_t tokens = argc > 4 ? std::atoll(argv[4]) : 64;

  const std::string checkpoint = read_text(folder + "/model.safetensors");
  byte_buffer bytes = byte_buffer::allocate(checkpoint.size());
  std::memcpy(bytes.data(), checkpoint.data(), checkpoint.size());
  weights w;
  w.add_file("model.safetensors", std::move(bytes));
  auto loaded = model_load(read_text(folder + "/config.json"), std::move(w), model_load_options("{}"), model_task::seq2seq);
  const auto& model = dynamic_cast<const seq2seq_model&>(*loaded);

  const int64_t frames = 2 * model.n_source_positions();
  std::vector<float> features(size_t(80 * frames));
  for (size_t i = 0; i < features.size(); ++i) features[i] = float((i * 7919) % 1000) / 1000.0f - 0.5f;
  std::vector<double> encoder_ms, cross_ms, step_ms;
  std::vector<float> logits(size_t(model.vocab_size()));
  for (int run = 0; run < runs; ++run) {
    tensor encoded;
    encoder_ms.push_back(time_ms([&] {
      encoder_pass pass = model.encoder_begin(features.data(), 1);
      while (pass.next_layer < model.n_encoder_layers()) model.encoder_layer(pass);
      encoded = model.encoder_end(pass);
    }));
    kv_cache cross = model.cross_cache_new(1);
    cross_ms.push_back(time_ms([&] {
      for (int64_t layer = 0; layer < model.n_decoder_layers(); ++layer) model.cross_cache_layer(encoded, cross, layer);
    }));
    seq2seq_decoder decoder(model, std::move(cross));
    kv_cache cache(decoder.cache_shape(), 1, tokens + 1);
    int32_t id = model.decoder_start_token_id();
    step_ms.push_back(time_ms([&] {
      for (int64_t t = 0; t < tokens; ++t) {
        forward_pass pass = decoder.forward_begin(&id, nullptr, 1, 1, cache);
        for (int64_t layer = 0; layer < decoder.n_layers(); ++layer) decoder.forward_layer(pass, cache);
        decoder.forward_end(pass, logits_for::last_position, logits.data());
        id = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
      }
    }) / double(tokens));
  }
  std::printf("{\"encoder_ms\": %.2f, \"cross_kv_ms\": %.2f, \"decode_step_ms\": %.3f, \"decode_tokens_per_s\": %.1f}\n",
              median(encoder_ms), median(cross_ms), median(step_ms), 1000.0 / median(step_ms));
}
