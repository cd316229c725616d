// The fuzz regression corpus: every file under tests/fuzz/corpus/<target>/ (the seeds and every
// input that ever crashed a fuzzer) goes through the same entry point as the libFuzzer target, in
// the ordinary native build (no clang needed). A crash or an exception other than wax::error fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "../fuzz/targets.h"

namespace {

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(FuzzCorpus, EveryInputIsHandled) {
  const std::filesystem::path root = WAX_FUZZ_CORPUS_DIR;
  for (const auto& target : wax::fuzz::targets) {
    const auto folder = root / std::string(target.name);
    ASSERT_TRUE(std::filesystem::is_directory(folder)) << folder;
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
      if (!entry.is_regular_file()) continue;
      SCOPED_TRACE(entry.path().string());
      const auto bytes = read_file(entry.path());
      EXPECT_NO_THROW(target.run(bytes.data(), bytes.size()));
      ++count;
    }
    EXPECT_GT(count, 0) << "no inputs in " << folder;
  }
}

}  // namespace

// Findings, each also kept in tests/fuzz/corpus/: the error they must give instead of UB.
#include "core/error.h"
#include "io/config.h"
#include "io/weights.h"
#include "models/causal_lm.h"

namespace {

TEST(FuzzFindings, HugeFloatForAnIntegerFieldIsABadConfigNotUB) {
  // crash-7c91cb51…: "num_key_value_heads": 7777…7 parsed as a double, then cast to int64 (UB).
  const auto config = wax::config_parse(R"({"num_key_value_heads": 7777777777777777777777777777777777777777777777777777777})", "config.json");
  const wax::config_reader reader(config, "config.json");
  EXPECT_THROW(reader.optional_int("num_key_value_heads"), wax::error);
  const auto exact = wax::config_parse(R"({"a": 32.0, "b": -9223372036854775808.0, "c": 9223372036854775808.0})", "config.json");
  const wax::config_reader exact_reader(exact, "config.json");
  EXPECT_EQ(exact_reader.optional_int("a"), 32);
  EXPECT_EQ(exact_reader.optional_int("b"), INT64_MIN);
  EXPECT_THROW(exact_reader.optional_int("c"), wax::error);
}

}  // namespace

namespace {

TEST(FuzzFindings, AbsurdDimensionsAreABadConfigNotAnAllocation) {
  // crash-47e78b5b…: hidden_size 128630981328 made a rope table of 16e9 floats before any check.
  const std::string config = R"({"model_type": "llama", "vocab_size": 512, "hidden_size": 128630981328,
    "intermediate_size": 320, "num_hidden_layers": 2, "num_attention_heads": 4})";
  try {
    wax::causal_lm_load(config, wax::weights());
    FAIL() << "loaded";
  } catch (const wax::error& e) {
    EXPECT_NE(std::string(e.what()).find("'hidden_size' expected a positive integer of at most 16777216"), std::string::npos) << e.what();
  }
}

}  // namespace
