// The fuzz entry points, shared by the libFuzzer targets (tests/fuzz/fuzz_*.cpp, built by
// tools/fuzz.sh with clang's -fsanitize=fuzzer,address,undefined) and by the regression test
// (tests/native/fuzz_corpus_test.cpp), which feeds every file under tests/fuzz/corpus/<target>/
// to the same function. A wax::error is the expected answer to bad input and is swallowed here;
// anything else (another exception, a sanitizer report, a crash) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wax::fuzz {

// One entry per target: the corpus folder name and the function that reads one input.
struct target {
  std::string_view name;
  void (*run)(const uint8_t* data, size_t size);
};

// The bytes as a whole safetensors file: header length, header JSON, spans; then the tensors
// registered into a `weights` (names, dtypes, duplicate checks).
void safetensors_file(const uint8_t* data, size_t size);
// The bytes as config.json for a causal LM: parsing, the model_type dispatch and every field
// read by llama_config::from_json (weights are empty, so loading stops at the first tensor).
void config_json(const uint8_t* data, size_t size);
// The bytes as tokenizer.json; when it loads, a fixed text is encoded and decoded.
void tokenizer_json(const uint8_t* data, size_t size);

inline constexpr target targets[] = {
    {"safetensors", safetensors_file},
    {"config", config_json},
#ifdef WAX_FUZZ_TOKENIZER
    {"tokenizer", tokenizer_json},
#endif
};

}  // namespace wax::fuzz
