// tokenizer.json against the oracle tokenizer fixtures (tests/fixtures/tokenizers, copied from
// ../shared/oracle/tokenizers): ids from the upstream slow tokenizers, except where the README
// says the fast (Rust `tokenizers`) semantics differ, and decodes from the fast reading recorded
// by transformers.js. Then malformed files, Unicode details and random text.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_util.h"
#include "tokenizers/decode_stream.h"
#include "tokenizers/tokenizer.h"
#include "tokenizers/unicode.h"

namespace wax {
namespace {

using nlohmann::json;

std::string tokenizer_dir(const std::string& name) { return testing::fixture_path("tokenizers/" + name); }

json read_json(const std::string& path) { return json::parse(testing::read_text(path)); }

tokenizer load_tokenizer(const std::string& name) {
  const std::string dir = tokenizer_dir(name);
  std::string config;
  if (std::filesystem::exists(dir + "/tokenizer_config.json")) config = testing::read_text(dir + "/tokenizer_config.json");
  return tokenizer::from_json(testing::read_text(dir + "/tokenizer.json"), config);
}

// Every fixture folder: adding one to tests/fixtures/tokenizers adds it to these tests.
std::vector<std::string> fixture_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(testing::fixture_path("tokenizers")))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The row of a cross-check file for `text` (rows are in the same order as the reference).
const json& crosscheck_row(const json& rows, size_t index, const std::string& text) {
  const json& row = rows.at(index);
  EXPECT_EQ(row.at("text").get<std::string>(), text);
  return row;
}

class tokenizer_fixture : public ::testing::TestWithParam<std::string> {
 protected:
  json reference() const { return read_json(tokenizer_dir(GetParam()) + "/reference_slow.json"); }
  json crosscheck_js() const { return read_json(testing::fixture_path("tokenizers/CROSSCHECK_JS.json")).at(GetParam()); }
  json crosscheck_transformers_js() const {
    return read_json(testing::fixture_path("tokenizers/CROSSCHECK_TRANSFORMERSJS.json")).at("fixtures").at(GetParam());
  }
};

// Slow reference ids; where the independent fast reading (@huggingface/tokenizers) disagrees with
// the slow tokenizer, the README's rule is to follow fast (spm_llama_nonlegacy, two leading
// spaces), so that row's reference is the fast ids.
TEST_P(tokenizer_fixture, encode_matches_reference) {
  const tokenizer tok = load_tokenizer(GetParam());
  const json ref = reference();
  const json js = crosscheck_js();
  size_t fast_rows = 0;
  for (size_t i = 0; i < ref.at("sentences").size(); ++i) {
    const json& sentence = ref["sentences"][i];
    const std::string text = sentence.at("text");
    std::vector<int32_t> expected = sentence.at("ids");
    const json& js_row = crosscheck_row(js.at("rows"), i, text);
    if (!js_row.at("match").get<bool>()) {
      expected = js_row.at("js_ids").get<std::vector<int32_t>>();
      ++fast_rows;
    }
    EXPECT_EQ(tok.encode(text).ids, expected) << GetParam() << " row " << i << ": " << text;
    if (sentence.contains("ids_no_special"))
      EXPECT_EQ(tok.encode(text, false).ids, sentence["ids_no_special"].get<std::vector<int32_t>>()) << text;
  }
  EXPECT_EQ(fast_rows, GetParam() == "spm_llama_nonlegacy" ? 1u : 0u);
}

TEST_P(tokenizer_fixture, encode_pair_matches_reference) {
  const json ref = reference();
  if (!ref.contains("pairs") || ref["pairs"].empty()) GTEST_SKIP() << "no pairs in this fixture";
  const tokenizer tok = load_tokenizer(GetParam());
  for (const json& pair : ref["pairs"]) {
    const auto encoded = tok.encode_pair(pair.at("text").get<std::string>(), pair.at("text_pair").get<std::string>());
    EXPECT_EQ(encoded.ids, pair.at("ids").get<std::vector<int32_t>>()) << pair["text"];
    // [CLS] A [SEP] are type 0, B [SEP] type 1.
    const auto sep = std::find(encoded.ids.begin(), encoded.ids.end(), *tok.token_to_id("[SEP]")) - encoded.ids.begin();
    for (size_t i = 0; i < encoded.type_ids.size(); ++i) EXPECT_EQ(encoded.type_ids[i], i <= size_t(sep) ? 0 : 1) << i;
    EXPECT_EQ(encoded.special_tokens_mask.front(), 1);
    EXPECT_EQ(encoded.special_tokens_mask.back(), 1);
    EXPECT_EQ(encoded.special_tokens_mask[size_t(sep)], 1);
  }
}

// decode(ids, skip_special_tokens=true) as the fast tokenizer does it, recorded by transformers.js
// (which also reads tokenizer_config.json). transformers.js throws on an empty id list; the
// fast tokenizer and wax give "".
TEST_P(tokenizer_fixture, decode_matches_fast) {
  const tokenizer tok = load_tokenizer(GetParam());
  const json ref = reference();
  const json js = crosscheck_transformers_js();
  for (size_t i = 0; i < ref.at("sentences").size(); ++i) {
    const std::string text = ref["sentences"][i].at("text");
    const json& row = crosscheck_row(js.at("rows"), i, text);
    const std::vector<int32_t> ids = row.at("js_ids");
    const std::string expected = ids.empty() ? "" : row.at("js_decoded_skip_special").get<std::string>();
    EXPECT_EQ(tok.decode(ids, true), expected) << GetParam() << " row " << i << ": " << text;
  }
}

// Without skipping, decode gives back every token's text; for the byte-level files that is the
// input itself after the special tokens.
TEST_P(tokenizer_fixture, decode_keeps_special_tokens_when_asked) {
  const tokenizer tok = load_tokenizer(GetParam());
  const auto encoded = tok.encode("Hello world");
  std::string specials;
  for (size_t i = 0; i < encoded.ids.size() && encoded.special_tokens_mask[i]; ++i) specials += *tok.id_to_token(encoded.ids[i]);
  const std::string decoded = tok.decode(encoded.ids, false);
  EXPECT_EQ(decoded.substr(0, specials.size()), specials);
  EXPECT_EQ(tok.decode({}, false), "");
}

// A decode_stream gives, after every id, the decode of the ids so far without its trailing U+FFFD
// (what TextStreamer releases), less at most the 3 bytes that clean_up_tokenization may still
// change (" n'" before "t"), and finish() gives the rest: on the reference sentences and on text whose characters span several
// tokens (byte-level and byte-fallback pieces), with and without the special tokens.
TEST_P(tokenizer_fixture, decode_stream_gives_the_decode_of_every_prefix) {
  const tokenizer tok = load_tokenizer(GetParam());
  std::vector<std::string> texts = {"Ünïcödé 你好世界 🎉🤖 don't stop , . ! naïve café\n\nnew line  two  spaces ",
                                    "  leading spaces, \u00e9t\u00e9 \U0001F600\U0001F600 and the end."};
  for (const json& sentence : reference().at("sentences")) texts.push_back(sentence.at("text"));
  const auto settled = [](std::string text) {
    while (text.size() >= 3 && text.compare(text.size() - 3, 3, "\xEF\xBF\xBD") == 0) text.resize(text.size() - 3);
    return text;
  };
  for (const bool skip_special_tokens : {true, false}) {
    for (const std::string& text : texts) {
      const std::vector<int32_t> ids = tok.encode(text).ids;
      decode_stream stream(tok, skip_special_tokens);
      std::string given;
      for (size_t n = 1; n <= ids.size(); ++n) {
        given += stream.push(ids[n - 1]);
        const std::vector<int32_t> prefix(ids.begin(), ids.begin() + std::ptrdiff_t(n));
        const std::string decoded = settled(tok.decode(prefix, skip_special_tokens));
        const size_t held = tok.cleans_up_spaces() ? 3 : 0;
        ASSERT_TRUE(decoded.compare(0, given.size(), given) == 0 && decoded.size() - given.size() <= held)
            << GetParam() << ", skip_special_tokens " << skip_special_tokens << ", after id " << n << " of: " << text
            << "\n given:   '" << given << "'\n decoded: '" << decoded << "'";
      }
      EXPECT_EQ(given + stream.finish(), tok.decode(ids, skip_special_tokens)) << GetParam() << ": " << text;
      EXPECT_EQ(stream.finish(), "");
    }
  }
}

std::string fixture_test_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

INSTANTIATE_TEST_SUITE_P(tokenizer_oracle, tokenizer_fixture, ::testing::ValuesIn(fixture_names()), fixture_test_name);

TEST(tokenizer_fixtures, cover_every_oracle_folder) {
  const json js = read_json(testing::fixture_path("tokenizers/CROSSCHECK_JS.json"));
  std::vector<std::string> listed;
  for (const auto& item : js.items()) listed.push_back(item.key());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(fixture_names(), listed);
}

TEST(tokenizer_whisper, timestamps_decode_as_text) {
  const tokenizer tok = load_tokenizer("whisper_multilingual");
  const json ref = read_json(tokenizer_dir("whisper_multilingual") + "/reference_slow.json").at("timestamp_decoding");
  // Timestamp tokens are added tokens with special: false, so decoding keeps them as text; this is
  // WhisperTokenizer's decode_with_timestamps. (Dropping them, as its plain decode does, is
  // Whisper-specific post-processing above the tokenizer.)
  EXPECT_EQ(tok.decode(ref.at("ids").get<std::vector<int32_t>>(), false), ref.at("decode_with_timestamps").get<std::string>());
  EXPECT_EQ(tok.vocab_size(), 51865u);
  EXPECT_EQ(tok.token_to_id("<|notimestamps|>"), 50363);
  EXPECT_EQ(tok.id_to_token(50364), "<|0.00|>");
}

// tokenizer.json variants for the components the oracle files do not use, with the ids, type
// ids, masks and decodes of the Rust library itself (make_handmade_rust.mjs beside the file).
TEST(tokenizer_handmade, components_match_rust_tokenizers) {
  const json handmade = read_json(testing::fixture_path("tokenizers/HANDMADE_RUST.json"));
  for (const json& c : handmade.at("cases")) {
    const std::string name = c.at("name");
    const tokenizer tok = tokenizer::from_json(c.at("tokenizer").dump());
    for (const json& row : c.at("rows")) {
      const std::string text = row.at("text");
      const bool is_pair = row.contains("pair") && row["pair"].is_string();
      const auto encode = [&](bool special) {
        return is_pair ? tok.encode_pair(text, row["pair"].get<std::string>(), special) : tok.encode(text, special);
      };
      const auto encoded = encode(true), plain = encode(false);
      const std::string where = name + ": " + json(text).dump();
      EXPECT_EQ(encoded.ids, row.at("ids").get<std::vector<int32_t>>()) << where;
      EXPECT_EQ(encoded.type_ids, row.at("type_ids").get<std::vector<int32_t>>()) << where;
      EXPECT_EQ(encoded.special_tokens_mask, row.at("special_tokens_mask").get<std::vector<uint8_t>>()) << where;
      EXPECT_EQ(plain.ids, row.at("ids_no_special").get<std::vector<int32_t>>()) << where;
      EXPECT_EQ(plain.type_ids, row.at("type_ids_no_special").get<std::vector<int32_t>>()) << where;
      const std::vector<int32_t> ids = row.at("ids");
      EXPECT_EQ(tok.decode(ids, false), row.at("decode").get<std::string>()) << where;
      EXPECT_EQ(tok.decode(ids, true), row.at("decode_skip_special").get<std::string>()) << where;
    }
  }
}

TEST(tokenizer_api, vocabulary_lookups) {
  const tokenizer tok = load_tokenizer("bytelevel_gpt2_real_vocab");
  EXPECT_EQ(tok.vocab_size(), 50257u);
  EXPECT_EQ(tok.token_to_id("<|endoftext|>"), 50256);
  EXPECT_EQ(tok.id_to_token(50256), "<|endoftext|>");
  EXPECT_EQ(tok.token_to_id("Hello"), 15496);
  EXPECT_FALSE(tok.token_to_id("no such token"));
  EXPECT_FALSE(tok.id_to_token(-1));
  EXPECT_FALSE(tok.id_to_token(1 << 30));
  EXPECT_EQ(tok.decode({15496, -5, 1 << 30, 995}), "Hello world");  // unknown ids are skipped
}

// ---- malformed tokenizer.json: the error names the field -------------------------------------

void expect_error(const std::string& tokenizer_json, const std::string& code, const std::string& needle) {
  try {
    tokenizer::from_json(tokenizer_json);
    ADD_FAILURE() << "no error for " << tokenizer_json;
  } catch (const error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what() << "\n  lacks: " << needle;
  }
}

const char* const bpe_model_json = R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": MERGES})";

std::string with_merges(const std::string& merges) {
  std::string model = bpe_model_json;
  model.replace(model.find("MERGES"), 6, merges);
  return "{" + model + "}";
}

TEST(tokenizer_malformed, errors_name_the_field) {
  expect_error("not json", error_bad_tokenizer, "tokenizer.json: not valid JSON");
  expect_error("[1, 2]", error_bad_tokenizer, "tokenizer.json: expected a JSON object, got [1,2]");
  expect_error(R"({"version": "1.0"})", error_bad_tokenizer, "tokenizer.json: 'model' expected a model object");
  expect_error(R"({"model": {"type": "Foo", "vocab": {}}})", error_bad_tokenizer,
               "tokenizer.json: 'model.type': unknown model type 'Foo'");
  expect_error(R"({"model": 3})", error_bad_tokenizer, "'model' expected a model object, got 3");
  expect_error(with_merges(R"(["a b", 42])"), error_bad_tokenizer, "tokenizer.json: 'model.merges[1]' expected a \"left right\"");
  expect_error(with_merges(R"(["a b c"])"), error_bad_tokenizer, "'model.merges[0]' expected");
  expect_error(with_merges(R"([["a"]])"), error_bad_tokenizer, "'model.merges[0]' expected");
  expect_error(with_merges(R"(["a x"])"), error_bad_tokenizer, "'model.merges[0]': merge of 'a' and 'x' names a token missing");
  expect_error(with_merges(R"("a b")"), error_bad_tokenizer, "'model.merges' expected an array");
  expect_error(R"({"model": {"type": "BPE", "vocab": {"a": "zero"}, "merges": []}})", error_bad_tokenizer,
               "'model.vocab.a' expected an id");
  expect_error(R"({"model": {"type": "BPE", "vocab": [], "merges": []}})", error_bad_tokenizer,
               "'model.vocab' expected an object");
  expect_error(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", error_bad_tokenizer, "'model.unk_token'");
  expect_error("{" + std::string(R"("normalizer": {"type": "Sideways"}, )") + with_merges("[]").substr(1), error_bad_tokenizer,
               "'normalizer.type': unknown normalizer type 'Sideways'");
  expect_error("{" + std::string(R"("added_tokens": [{"content": "x"}], )") + with_merges("[]").substr(1), error_bad_tokenizer,
               "'added_tokens[0].id' expected a value");
  expect_error("{" + std::string(R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"}, )") +
                   with_merges("[]").substr(1),
               error_bad_tokenizer, "'pre_tokenizer.behavior' expected one of Removed");
}

TEST(tokenizer_malformed, unsupported_features_say_so) {
  expect_error(R"({"model": {"type": "Unigram", "vocab": [["a", 0.0]]}})", error_unsupported, "Unigram");
  expect_error("{" + std::string(R"("pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a|b)+"}, "behavior": "Isolated"}, )") +
                   with_merges("[]").substr(1),
               error_unsupported, "regex \"(a|b)+\" is not supported");
  expect_error(R"({"model": {"type": "BPE", "dropout": 0.1, "vocab": {}, "merges": []}})", error_unsupported, "'model.dropout'");
}

// ---- Unicode -----------------------------------------------------------------------------------

TEST(tokenizer_unicode, normalization_forms) {
  using unicode::normal_form;
  // "é" composed / decomposed, Hangul, the "ﬁ" ligature, and a reordering of combining marks.
  EXPECT_EQ(unicode::normalize("e\xCC\x81", normal_form::normal_form_nfc), "\xC3\xA9");
  EXPECT_EQ(unicode::normalize("\xC3\xA9", normal_form::normal_form_nfd), "e\xCC\x81");
  EXPECT_EQ(unicode::normalize("\xED\x95\x9C", normal_form::normal_form_nfd), "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");
  EXPECT_EQ(unicode::normalize("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", normal_form::normal_form_nfc), "\xED\x95\x9C");
  EXPECT_EQ(unicode::normalize("\xEF\xAC\x81", normal_form::normal_form_nfkc), "fi");
  EXPECT_EQ(unicode::normalize("\xEF\xAC\x81", normal_form::normal_form_nfc), "\xEF\xAC\x81");
  // a + dot below (220) after circumflex (230) → reordered, then composed to ậ.
  EXPECT_EQ(unicode::normalize("a\xCC\x82\xCC\xA3", normal_form::normal_form_nfc), "\xE1\xBA\xAD");
  // U+0344 is excluded from composition: NFC gives U+0308 U+0301.
  EXPECT_EQ(unicode::normalize("\xCD\x84", normal_form::normal_form_nfc), "\xCC\x88\xCC\x81");
}

TEST(tokenizer_unicode, lowercase_and_categories) {
  EXPECT_EQ(unicode::lowercase("ÀÉÎ ΣΑΣ İ Ǆ"), "àéî σασ i\xCC\x87 ǆ");
  EXPECT_TRUE(unicode::is_letter(U'ß'));
  EXPECT_TRUE(unicode::is_number(U'٣'));
  EXPECT_TRUE(unicode::is_white_space(0x3000));
  EXPECT_FALSE(unicode::is_white_space(0x200B));
  EXPECT_TRUE(unicode::is_mark(0x0301));
  EXPECT_EQ(unicode::category_of(0x10FFFF), unicode::category::category_Cn);
  EXPECT_EQ(unicode::category_of(0x1F917), unicode::category::category_So);
}

TEST(tokenizer_unicode, invalid_utf8_reads_as_replacement) {
  // Maximal subparts: a lone continuation, a truncated 3-byte sequence, a surrogate, overlong.
  EXPECT_EQ(unicode::utf8_sanitize("a\x80" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(unicode::utf8_sanitize("\xE2\x82" "x"), "\xEF\xBF\xBD" "x");
  EXPECT_EQ(unicode::utf8_sanitize("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_sanitize("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(unicode::utf8_sanitize("\xF0\x9F\xA4"), "\xEF\xBF\xBD");
}

// ---- random text -------------------------------------------------------------------------------

// Random strings from pools of emoji (with ZWJ), CJK, combining marks, controls, several scripts,
// spaces, and (when `invalid`) broken UTF-8.
std::string random_text(std::mt19937& rng, bool invalid) {
  static constexpr char32_t pools[][2] = {{'a', 'z'},       {'A', 'Z'},       {'0', '9'},       {' ', '/'},
                                          {0x00, 0x1F},     {0x7F, 0x9F},     {0x300, 0x36F},   {0x4E00, 0x9FFF},
                                          {0x1F300, 0x1F6FF}, {0x200B, 0x200F}, {0xAC00, 0xD7A3}, {0x600, 0x6FF},
                                          {0x900, 0x97F},   {0x391, 0x3C9},   {0x2000, 0x206F}, {0xFFF0, 0xFFFF}};
  static constexpr const char* broken[] = {"\x80", "\xFF", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF0\x9F", "\xC0\xAF"};
  std::string text;
  const int length = int(rng() % 40);
  for (int i = 0; i < length; ++i) {
    const unsigned choice = rng() % 20;
    if (invalid && choice == 19) {
      text += broken[rng() % std::size(broken)];
    } else if (choice >= 16) {
      text += choice == 16 ? "\n" : choice == 17 ? "  " : choice == 18 ? "<|endoftext|>" : "'s";
    } else {
      const auto& pool = pools[choice];
      unicode::utf8_append(text, pool[0] + char32_t(rng() % (pool[1] - pool[0] + 1)));
    }
  }
  return text;
}

TEST(tokenizer_random_text, never_throws_and_byte_level_round_trips) {
  std::mt19937 rng(1234);
  for (const std::string& name : fixture_names()) {
    const tokenizer tok = load_tokenizer(name);
    const bool byte_level = name.find("bytelevel") == 0 || name == "tiktoken_llama3" || name == "whisper_multilingual";
    for (int i = 0; i < 300; ++i) {
      const bool invalid = i % 3 == 0;
      const std::string text = random_text(rng, invalid);
      tokenizer::encoding encoded;
      ASSERT_NO_THROW(encoded = tok.encode(text)) << name;
      ASSERT_NO_THROW(tok.encode_pair(text, text)) << name;
      ASSERT_NO_THROW(tok.decode(encoded.ids, true)) << name;
      if (!byte_level || invalid) continue;
      // Byte-level BPE loses nothing; Qwen2 normalizes to NFC first.
      const std::string expected =
          name == "bytelevel_qwen2" ? unicode::normalize(text, unicode::normal_form::normal_form_nfc) : text;
      EXPECT_EQ(tok.decode(tok.encode(text, false).ids), expected) << name;
    }
  }
}

// ---- throughput --------------------------------------------------------------------------------

TEST(tokenizer_throughput, gpt2_real_vocab_one_megabyte) {
  const tokenizer tok = load_tokenizer("bytelevel_gpt2_real_vocab");
  const json ref = read_json(tokenizer_dir("bytelevel_gpt2_real_vocab") + "/reference_slow.json");
  std::string text;
  for (int i = 0; text.size() < (1 << 20); ++i)
    for (const json& sentence : ref["sentences"]) text += sentence["text"].get<std::string>() + " " + std::to_string(i) + "\n";
  const auto start = std::chrono::steady_clock::now();
  const auto encoded = tok.encode(text, false);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ throughput ] bytelevel_gpt2_real_vocab: %.2f MB in %.3f s = %.1f MB/s (%zu tokens)\n", text.size() / 1e6,
              seconds, text.size() / 1e6 / seconds, encoded.ids.size());
  EXPECT_EQ(tok.decode(encoded.ids), text);
}

}  // namespace
}  // namespace wax
