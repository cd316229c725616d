// The smallest native program: load a Llama-family folder and continue a prompt, text in, text out.
//   generate <model folder> '<prompt>' ['<options JSON>']
// Options use transformers' names: {"max_new_tokens": 20, "do_sample": true, "seed": 7, ...}; the
// folder's generation_config.json, when there is one, supplies the ones not given.
// Prints the prompt and its continuation.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api.h"

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
    std::fprintf(stderr, "usage: %s <model folder> '<prompt>' ['<options JSON>']\n", argv[0]);
    return 2;
  }
  try {
    const std::string folder = argv[1];
    wax::weights w;
    w.add_file(folder + "/model.safetensors", read_bytes(folder + "/model.safetensors"));
    const std::string generation_config = folder + "/generation_config.json";
    const auto model = wax::api::model_load(read_text(folder + "/config.json"), std::move(w), "", "",
                                            std::filesystem::exists(generation_config) ? read_text(generation_config) : "");
    const std::string tokenizer_config = folder + "/tokenizer_config.json";
    const auto tokenizer = wax::api::tokenizer_load(read_text(folder + "/tokenizer.json"),
                                                    std::filesystem::exists(tokenizer_config) ? read_text(tokenizer_config) : "");
    std::printf("%s\n", wax::api::generate_text(*model, tokenizer, argv[2], argc > 3 ? argv[3] : "").c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "generate: %s\n", e.what());
    return 1;
  }
}
