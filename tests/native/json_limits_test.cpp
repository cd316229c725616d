// JSON we do not trust: nesting is bounded while parsing (every reader recurses with it and the
// wasm stack is 1 MiB), and a syntax error names the file, where it is and what is wrong.
#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "generation/generate.h"
#include "io/config.h"
#include "models/causal_lm.h"
#include "test_util.h"
#include "tokenizers/tokenizer.h"

namespace wax {
namespace {

const std::string bpe_model = R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})";

// A tokenizer.json whose `part` is a Sequence nested `depth` deep around `leaf`, as the probe's
// ~190 KB files were (3000 to 5000 levels).
std::string nested_tokenizer(const std::string& part, const std::string& list, const std::string& leaf, int depth) {
  std::string nested;
  for (int i = 0; i < depth; ++i) nested += R"({"type": "Sequence", ")" + list + R"(": [)";
  nested += leaf;
  for (int i = 0; i < depth; ++i) nested += "]}";
  return "{" + bpe_model + R"(, ")" + part + R"(": )" + nested + "}";
}

struct nested_part {
  std::string part, list, leaf;
};

const nested_part nested_parts[] = {
    {"normalizer", "normalizers", R"({"type": "Lowercase"})"},
    {"pre_tokenizer", "pretokenizers", R"({"type": "Whitespace"})"},
    {"post_processor", "processors", R"({"type": "ByteLevel"})"},
    {"decoder", "decoders", R"({"type": "Fuse"})"},
};



TEST(json_depth, deeply_nested_tokenizer_parts_are_refused_naming_the_file_and_the_limit) {
  for (const nested_part& p : nested_parts) {
    for (const int depth : {3000, 5000}) {
      SCOPED_TRACE(p.part + " × " + std::to_string(depth));
      const std::string text = nested_tokenizer(p.part, p.list, p.leaf, depth);
      testing::expect_contains(testing::error_message([&] { tokenizer::from_json(text); }, error_bad_tokenizer),
                      {"tokenizer.json", "nested more than 64 levels"});
    }
  }
}

TEST(json_depth, nesting_within_the_limit_still_loads) {
  for (const nested_part& p : nested_parts) {
    SCOPED_TRACE(p.part);
    const tokenizer t = tokenizer::from_json(nested_tokenizer(p.part, p.list, p.leaf, 31));  // leaf at depth 63
    EXPECT_EQ(t.decode(t.encode("ab", false).ids, false).empty(), false);
    EXPECT_THROW(tokenizer::from_json(nested_tokenizer(p.part, p.list, p.leaf, 32)), error);
  }
  const tokenizer lowercase = tokenizer::from_json(nested_tokenizer("normalizer", "normalizers", R"({"type": "Lowercase"})", 31));
  EXPECT_EQ(lowercase.encode("AB", false).ids, std::vector<int32_t>{2});
}

TEST(json_depth, every_json_file_is_bounded) {
  const std::string arrays = std::string(100000, '[') + std::string(100000, ']');
  testing::expect_contains(testing::error_message([&] { config_parse(R"({"rope_scaling": )" + arrays + "}", "config.json"); }, error_bad_config),
                  {"config.json", "nested more than 64 levels"});
  testing::expect_contains(testing::error_message([&] { causal_lm_load(R"({"model_type": "llama", "x": )" + arrays + "}", weights()); }, error_bad_config),
                  {"config.json", "nested more than 64 levels"});
  testing::expect_contains(testing::error_message([&] { tokenizer::from_json("{" + bpe_model + "}", R"({"x": )" + arrays + "}"); }, error_bad_tokenizer),
                  {"tokenizer_config.json", "nested more than 64 levels"});
  testing::expect_contains(testing::error_message([&] { generate_options_from_json(R"({"eos_token_id": )" + arrays + "}"); }, error_bad_config),
                  {"generation options", "nested more than 64 levels"});
  std::string objects;
  for (int i = 0; i < 50000; ++i) objects += R"({"a": )";
  objects += "1" + std::string(50000, '}');
  testing::expect_contains(testing::error_message([&] { tokenizer::from_json(objects); }, error_bad_tokenizer), {"tokenizer.json", "nested"});
}

TEST(json_syntax, a_lone_surrogate_in_a_vocab_says_where_and_what) {
  const std::string text = "{\n  \"model\": {\"type\": \"BPE\", \"merges\": [],\n    \"vocab\": {\"a\": 0, \"\\ud800\": 1}}}";
  const std::string message = testing::error_message([&] { tokenizer::from_json(text); }, error_bad_tokenizer);
  testing::expect_contains(message, {"tokenizer.json: not valid JSON", "line 3", "byte ", "surrogate U+D800..U+DBFF"});
  EXPECT_LT(message.size(), 400u);
}

TEST(json_syntax, config_errors_name_the_file_and_the_place) {
  testing::expect_contains(testing::error_message([] { config_parse("{\n  \"hidden_size\": 64,\n  \"vocab_size\": }", "config.json"); }, error_bad_config),
                  {"config.json: not valid JSON", "line 3", "byte "});
  const std::string long_string = "{\"a\": \"" + std::string(10000, 'x');  // unterminated: "last read" quotes all of it
  EXPECT_LT(testing::error_message([&] { config_parse(long_string, "config.json"); }, error_bad_config).size(), 400u);
  // nlohmann refuses a number past double's range with an out_of_range error, not a parse error.
  testing::expect_contains(testing::error_message([] { config_parse(R"({"temperature": 1e999})", "generation_config.json"); }, error_bad_config),
                           {"generation_config.json: not valid JSON for wax: number overflow parsing '1e999'"});
}

}  // namespace
}  // namespace wax
