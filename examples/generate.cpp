// The smallest native program: load a Llama-family folder and continue a prompt of token ids.
//   generate <model folder> '<ids as JSON, e.g. [1, 404, 442]>' ['<options JSON>']
// Options use transformers' names: {"max_new_tokens": 20, "do_sample": true, "seed": 7, ...}.
// Prints the prompt and its continuation as a JSON array.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "generation/generate.h"

namespace {

std::string read_text(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

wax::byte_buffer read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  wax::byte_buffer bytes = wax::byte_buffer::allocate(size_t(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(bytes.size()));
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <model folder> '<ids JSON>' ['<options JSON>']\n", argv[0]);
    return 2;
  }
  try {
    const std::string folder = argv[1];
    wax::weights w;
    w.add_file(folder + "/model.safetensors", read_bytes(folder + "/model.safetensors"));
    auto model = wax::causal_lm_load(read_text(folder + "/config.json"), std::move(w));
    const auto ids = nlohmann::json::parse(argv[2]).get<std::vector<int32_t>>();
    const auto options = wax::generate_options_from_json(argc > 3 ? argv[3] : "{}");
    const auto result = wax::generate(*model, ids.data(), nullptr, 1, int64_t(ids.size()), options);
    std::printf("%s\n", nlohmann::json(result).dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate: %s\n", e.what());
    return 1;
  }
}
