// src/api.h: the "generate" job gives, token by token, what generate() gives at once, its tokens
// as an int32 output at one address; the task table refuses generate on an encoder; text in, text
// out is the tokenizer around that job.
#include <gtest/gtest.h>

#include "api.h"
#include "core/error.h"
#include "generation/generate.h"
#include "models/encoder.h"
#include "test_util.h"

namespace wax {
namespace {

job_request generate_request(const std::vector<int32_t>& ids, const std::vector<int32_t>& mask, int64_t batch,
                             const json& options) {
  const int64_t seq = int64_t(ids.size()) / batch;
  job_request request{"generate", {{"input_ids", "int32", {batch, seq}, ids.data()}}, options};
  if (!mask.empty()) request.inputs.push_back({"attention_mask", "int32", {batch, seq}, mask.data()});
  return request;
}

TEST(api, the_generate_job_gives_generates_ids_one_token_at_a_time) {
  auto model = testing::load_causal_lm(testing::fixture_path("llama_gqa_tied"));
  const std::vector<int32_t> ids = {0, 1, 404, 442, 1, 316, 312, 9};  // (2, 4), the first row left-padded
  const std::vector<int32_t> mask = {0, 1, 1, 1, 1, 1, 1, 1};
  const std::vector<json> cases = {json{{"max_new_tokens", 6}},
                                   json{{"max_new_tokens", 6}, {"do_sample", true}, {"top_k", 40}, {"seed", 7}}};
  for (const json& options : cases) {
    const std::vector<int32_t> expected = generate(*model, ids.data(), mask.data(), 2, 4, generate_options_from_json(options.dump()));
    auto generation = api::job_new(*model, generate_request(ids, mask, 2, options));
    std::vector<std::vector<int32_t>> rows = {{ids.begin(), ids.begin() + 4}, {ids.begin() + 4, ids.end()}};
    const void* address = nullptr;
    int ready = 0;
    for (bool more = true; more;) {
      if (!generation->step()) continue;
      ++ready;
      const job_output_view tokens = generation->output_views().at(0);
      EXPECT_EQ(tokens.name, "tokens");
      EXPECT_EQ(tokens.dtype, "int32");
      EXPECT_EQ(tokens.dims, (shape_t{2, 1}));
      if (address) EXPECT_EQ(tokens.data, address);
      address = tokens.data;
      for (size_t row = 0; row < 2; ++row) rows[row].push_back(static_cast<const int32_t*>(tokens.data)[row]);
      EXPECT_GT(generation->held_bytes(), 0u);
      more = generation->has_more();
    }
    EXPECT_EQ(ready, 6);
    rows[0].insert(rows[0].end(), rows[1].begin(), rows[1].end());
    EXPECT_EQ(rows[0], expected) << options.dump();
  }
}

TEST(api, generate_options_are_the_call_over_generation_config_over_transformers_defaults) {
  const json file = {{"max_new_tokens", 7}, {"temperature", 0.5}, {"eos_token_id", 2}, {"top_k", 9}};
  const json model_config = {{"eos_token_id", 3}, {"pad_token_id", nullptr}};
  const auto merged = [&](const json& call) { return generate_options_from_request(call, file, model_config); };
  const generate_options from_file = merged({{"do_sample", true}});
  EXPECT_EQ(from_file.max_new_tokens, 7);
  EXPECT_FLOAT_EQ(from_file.sampling.temperature, 0.5f);
  EXPECT_EQ(from_file.sampling.top_k, 9);
  EXPECT_EQ(from_file.eos_token_ids, (std::vector<int32_t>{2}));
  EXPECT_EQ(from_file.pad_token_id, 2);  // config.json has none: the first eos
  // A call's null is the default, not the file's; top_k is 50 when sampling unless given, 0 greedy.
  const generate_options nulls = merged({{"max_new_tokens", nullptr}, {"top_k", nullptr}, {"eos_token_id", nullptr}, {"do_sample", true}});
  EXPECT_EQ(nulls.max_new_tokens, 20);
  EXPECT_EQ(nulls.sampling.top_k, 0);
  EXPECT_EQ(nulls.eos_token_ids, (std::vector<int32_t>{3}));  // config.json's
  const json none = json::object();
  const generate_options defaults = generate_options_from_request({{"do_sample", true}}, none, none);
  EXPECT_EQ(defaults.sampling.top_k, 50);
  EXPECT_TRUE(defaults.eos_token_ids.empty());
  EXPECT_EQ(defaults.pad_token_id, 0);
  EXPECT_EQ(generate_options_from_request(none, none, none).sampling.top_k, 0);
  EXPECT_EQ(generate_options_from_request({{"seed", 5}}, none, none).sampling.seed, 5u);
  EXPECT_EQ(generate_options_from_request({{"eos_token_id", {4, 6}}}, none, none).pad_token_id, 4);
  // config.json's pad_token_id -1 ("none", as some files write it) falls back to the first eos.
  EXPECT_EQ(generate_options_from_request(none, none, {{"eos_token_id", 5}, {"pad_token_id", -1}}).pad_token_id, 5);
}

// Each case: generation_config.json's text, and what its error says. A field the call gives is not
// read from the file, so a bad value there is no error.
TEST(api, generation_config_values_are_checked_where_used_naming_the_file_and_the_field) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {R"({"do_sample": "yes"})", {"generation_config.json: 'do_sample' expected true or false, got \"yes\"", "pass do_sample to override it"}},
      {R"({"eos_token_id": [1e12]})", {"generation_config.json: 'eos_token_id' expected a token id or a list of token ids"}},
      {R"({"pad_token_id": -3})", {"generation_config.json: 'pad_token_id' expected a token id", "got -3"}},
      {R"({"top_k": -5})", {"generation_config.json: 'top_k' expected a non-negative integer, got -5"}},
      {R"({"temperature": "hot"})", {"generation_config.json: 'temperature' expected a number, got \"hot\""}},
      {R"({"top_p": 1.5})", {"generation_config.json: 'top_p' expected a number in (0, 1], got 1.5"}},
      {R"({"seed": 1e300})", {"generation_config.json: 'seed' expected an integer in [0, 2^53]"}},
      {R"("greedy")", {"generation_config.json: expected a JSON object, got \"greedy\""}},
  };
  for (const auto& [text, parts] : cases) {
    const json file = json::parse(text);
    testing::expect_contains(
        testing::error_message([&] { generate_options_from_request(json::object(), file, json::object()); }, error_bad_config), parts);
    if (file.is_object()) {
      EXPECT_NO_THROW(generate_options_from_request({{file.begin().key(), nullptr}}, file, json::object())) << text;
    }
  }
  testing::expect_contains(
      testing::error_message([&] { generate_options_from_request(json::object(), json::object(), {{"eos_token_id", "end"}}); }, error_bad_config),
      {"config.json: 'eos_token_id' expected a token id"});
}

// llama_gqa_tied loaded through the api with `generation_config_json` beside its config.json.
std::unique_ptr<loaded_model> load_tied_with(const std::string& generation_config_json) {
  const std::string dir = testing::fixture_path("llama_gqa_tied");
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
  return api::model_load(testing::read_text(dir + "/config.json"), std::move(w), "", "", generation_config_json);
}

TEST(api, the_generate_jobs_info_says_what_it_settled_on_from_the_models_generation_config) {
  const auto model = load_tied_with(R"({"max_new_tokens": 3, "eos_token_id": 2, "lang_to_id": {"<|en|>": 7}})");
  EXPECT_EQ(model->generation_config()["lang_to_id"]["<|en|>"], 7);  // kept whole
  EXPECT_EQ(model->info()["generation_config"], model->generation_config());
  const std::vector<int32_t> ids = {1, 404, 442};
  auto generation = api::job_new(*model, generate_request(ids, {}, 1, json::object()));
  const json info = generation->info();
  EXPECT_EQ(info["max_new_tokens"], 3);
  EXPECT_EQ(info["eos_token_id"], json::array({2}));
  EXPECT_GT(info["held_bytes"].get<double>(), 0);
  // config.json's eos_token_id when neither the call nor the file gives one.
  const auto plain = load_tied_with("");
  EXPECT_EQ(api::job_new(*plain, generate_request(ids, {}, 1, json::object()))->info()["eos_token_id"],
            json::array({plain->config()["eos_token_id"].get<int32_t>()}));
}

TEST(api, generation_configs_max_length_counts_the_prompt_and_gives_way_to_max_new_tokens) {
  const auto model = load_tied_with(R"({"max_length": 10})");
  const std::vector<int32_t> ids = {1, 404, 442};
  EXPECT_EQ(api::job_new(*model, generate_request(ids, {}, 1, json::object()))->info()["max_new_tokens"], 7);
  EXPECT_EQ(api::job_new(*model, generate_request(ids, {}, 1, {{"max_new_tokens", 2}}))->info()["max_new_tokens"], 2);
  EXPECT_EQ(api::job_new(*model, generate_request(ids, {}, 1, {{"max_length", 2}}))->info()["max_new_tokens"], 0);
  const auto both = load_tied_with(R"({"max_length": 10, "max_new_tokens": 4})");
  EXPECT_EQ(api::job_new(*both, generate_request(ids, {}, 1, json::object()))->info()["max_new_tokens"], 4);
  const auto bad = load_tied_with(R"({"max_length": 0})");
  testing::expect_contains(testing::error_message([&] { api::job_new(*bad, generate_request(ids, {}, 1, json::object())); }, error_bad_config),
                           {"generation_config.json: 'max_length' expected a positive integer, got 0"});
}

TEST(api, a_max_new_tokens_past_the_positions_from_generation_config_says_so) {
  const auto model = load_tied_with(R"({"max_new_tokens": 5000})");
  const std::vector<int32_t> ids = {1, 404};
  testing::expect_contains(testing::error_message([&] { api::job_new(*model, generate_request(ids, {}, 1, json::object())); }, error_bad_input),
                           {"max_new_tokens: 5000 is more than", "(generation_config.json sets max_new_tokens 5000: pass max_new_tokens to override it)"});
  EXPECT_NO_THROW(api::job_new(*model, generate_request(ids, {}, 1, {{"max_new_tokens", 2}})));
  testing::expect_contains(testing::error_message([&] { load_tied_with("{"); }, error_bad_config), {"generation_config.json: not valid JSON"});
}

TEST(api, no_new_tokens_is_one_step_with_an_empty_output) {
  auto model = testing::load_causal_lm(testing::fixture_path("llama_gqa_tied"));
  const std::vector<int32_t> ids = {1, 404, 442};
  auto generation = api::job_new(*model, generate_request(ids, {}, 1, {{"max_new_tokens", 0}}));
  EXPECT_TRUE(generation->step());
  EXPECT_FALSE(generation->has_more());
  EXPECT_EQ(generation->output_views().at(0).dims, (shape_t{1, 0}));
}

TEST(api, generate_is_refused_on_an_encoder_and_forward_reaches_the_family) {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
  const auto model = api::model_load(testing::read_text(dir + "/config.json"), std::move(w), "");
  ASSERT_NE(dynamic_cast<const encoder_model*>(model.get()), nullptr);
  const std::vector<int32_t> ids = {101, 102};
  const std::string message = testing::error_message([&] { api::job_new(*model, generate_request(ids, {}, 1, json::object())); },
                                                     error_bad_input);
  testing::expect_contains(message, {"'generate'", "only causal language models"});
  auto forward = api::job_new(*model, {"forward", {{"input_ids", "int32", {1, 2}, ids.data()}}, json::object()});
  while (!forward->step()) {
  }
  EXPECT_EQ(forward->output_views().at(0).name, "last_hidden_state");
}

TEST(api, model_load_as_a_task_and_the_models_info) {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  const auto bert_weights = [&] {
    weights w;
    w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
    return w;
  };
  const std::string config = testing::read_text(dir + "/config.json");
  const json info = api::model_load(config, bert_weights(), "", "encoder")->info();
  EXPECT_GT(info["hidden_size"].get<int64_t>(), 0);
  EXPECT_GT(info["max_position_embeddings"].get<int64_t>(), 0);
  EXPECT_TRUE(info["unused_tensors"].is_array());
  testing::expect_contains(testing::error_message([&] { api::model_load(config, bert_weights(), "", "causal_lm"); }, error_unsupported),
                           {"bert"});
  testing::expect_contains(testing::error_message([&] { api::model_load(config, bert_weights(), "", "detector"); }, error_bad_input),
                           {"model task: expected causal_lm", "'detector'"});
  const json llama = testing::load_causal_lm(testing::fixture_path("llama_gqa_tied"))->info();
  for (const char* field : {"vocab_size", "max_position_embeddings", "weight_bytes", "scratch_bytes"})
    EXPECT_TRUE(llama.contains(field)) << field;
}

TEST(api, generate_text_is_the_tokenizer_around_the_generate_job) {
  const std::string dir = testing::fixture_path("llama_gqa_tied");
  auto model = testing::load_causal_lm(dir);
  const tokenizer t = api::tokenizer_load(testing::read_text(dir + "/tokenizer.json"), testing::read_text(dir + "/tokenizer_config.json"));
  const std::string prompt = "In the beginning";
  const std::vector<int32_t> ids = t.encode(prompt, true).ids;
  const std::vector<int32_t> expected = generate(*model, ids.data(), nullptr, 1, int64_t(ids.size()),
                                                 generate_options_from_json(R"({"max_new_tokens": 8})"));
  EXPECT_EQ(api::generate_text(*model, t, prompt, R"({"max_new_tokens": 8})"), t.decode(expected, true));
}

}  // namespace
}  // namespace wax
