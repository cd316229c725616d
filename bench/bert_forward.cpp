// BERT forward speed on the real model (src/models/bert.cpp): an all-MiniLM-L6-v2-shaped encoder
// (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522) with random F32 weights, built
// in memory, run at batch 1 and batch 8 of 128 tokens. Prints one JSON line of median ms per forward.
//   wax_bench_bert [runs=5] [threads=1]
// Where the time goes inside a forward: the real model under perf, by symbol (the packed GEMM,
// the attention op's softmax, layer_normalize, activation_apply), with no copy of the model to
// keep in step with it:
//   perf record -g build/native/wax_bench_bert 3 && perf report --no-children --sort symbol
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "models/bert.h"

using namespace wax;

namespace {

constexpr int64_t vocab = 30522, hidden = 384, layers = 6, heads = 12, inter = 1536, positions = 512, seq = 128;

// One safetensors file of random F32 tensors with BERT's key names (sentence-transformers layout).
byte_buffer random_checkpoint() {
  std::vector<std::pair<std::string, std::vector<int64_t>>> tensors = {
      {"embeddings.word_embeddings.weight", {vocab, hidden}},
      {"embeddings.position_embeddings.weight", {positions, hidden}},
      {"embeddings.token_type_embeddings.weight", {2, hidden}},
      {"embeddings.LayerNorm.weight", {hidden}},
      {"embeddings.LayerNorm.bias", {hidden}},
      {"pooler.dense.weight", {hidden, hidden}},
      {"pooler.dense.bias", {hidden}}};
  for (int64_t i = 0; i < layers; ++i) {
    const std::string p = "encoder.layer." + std::to_string(i) + ".";
    for (const char* name : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
      tensors.push_back({p + name + ".weight", {hidden, hidden}});
      tensors.push_back({p + name + ".bias", {hidden}});
    }
    tensors.push_back({p + "intermediate.dense.weight", {inter, hidden}});
    tensors.push_back({p + "intermediate.dense.bias", {inter}});
    tensors.push_back({p + "output.dense.weight", {hidden, inter}});
    tensors.push_back({p + "output.dense.bias", {hidden}});
    for (const char* norm : {"attention.output.LayerNorm", "output.LayerNorm"}) {
      tensors.push_back({p + norm + ".weight", {hidden}});
      tensors.push_back({p + norm + ".bias", {hidden}});
    }
  }
  nlohmann::json header;
  uint64_t offset = 0;
  for (const auto& [name, shape] : tensors) {
    uint64_t count = 1;
    for (int64_t d : shape) count *= uint64_t(d);
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + 4 * count}}};
    offset += 4 * count;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  byte_buffer bytes = byte_buffer::allocate(8 + text.size() + offset);
  for (int i = 0; i < 8; ++i) bytes.data()[i] = std::byte((text.size() >> (8 * i)) & 0xff);
  std::memcpy(bytes.data() + 8, text.data(), text.size());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-0.05f, 0.05f);
  float* values = reinterpret_cast<float*>(bytes.data() + 8 + text.size());
  for (uint64_t i = 0; i < offset / 4; ++i) values[i] = uniform(rng);
  return bytes;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 5;
  thread_pool::instance().set_threads(argc > 2 ? std::atoi(argv[2]) : 1);
  const nlohmann::json config = {{"model_type", "bert"}, {"vocab_size", vocab}, {"hidden_size", hidden},
                                 {"num_hidden_layers", layers}, {"num_attention_heads", heads},
                                 {"intermediate_size", inter}, {"max_position_embeddings", positions}};
  weights w;
  w.add_file("model.safetensors", random_checkpoint());
  auto model = encoder_load(config.dump(), std::move(w));
  std::printf("{");
  for (int64_t batch : {1, 8}) {
    std::vector<int32_t> ids(size_t(batch * seq)), mask(ids.size(), 1);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = int32_t((i * 7919 + 1) % vocab);
    for (int64_t t = seq - 16; t < seq; ++t) mask[size_t(t)] = 0;  // the first row padded, as a batch of unequal texts
    std::vector<double> ms;
    for (int run = 0; run < runs; ++run) {
      const auto start = std::chrono::steady_clock::now();
      model->forward(ids.data(), nullptr, mask.data(), batch, seq);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
    std::printf("%s\"batch_%lld_x_%lld_ms\": %.2f", batch == 1 ? "" : ", ", (long long)batch, (long long)seq, median(ms));
  }
  std::printf("}\n");
}
