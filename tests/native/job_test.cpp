// Jobs (models/job.h): a forward run one layer a step gives what the forward run at once gives,
// for an encoder and a causal LM, and a request the model cannot run is refused naming the field.
#include <gtest/gtest.h>

#include "core/error.h"
#include "models/encoder.h"
#include "ops/pooling.h"
#include "test_util.h"

namespace wax {
namespace {

std::vector<int32_t> to_int32(const testing::npy_array& a) { return {a.values.begin(), a.values.end()}; }

// Steps `j` to the end; the number of steps it took.
int run_to_end(job& j) {
  int steps = 1;
  while (!j.step()) ++steps;
  return steps;
}

const tensor& output(const job& j, const std::string& name) {
  for (const auto& [output_name, values] : j.outputs())
    if (output_name == name) return values;
  throw std::runtime_error("no output " + name);
}

std::string request_json(const std::string& task, const std::vector<std::pair<std::string, shape_t>>& inputs,
                         const json& options = json::object()) {
  json list = json::array();
  for (const auto& [name, dims] : inputs) list.push_back({{"name", name}, {"dtype", "int32"}, {"dims", dims}});
  return json{{"task", task}, {"inputs", list}, {"options", options}}.dump();
}

std::unique_ptr<encoder_model> load_bert() {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  weights w;
  w.add_file("model.safetensors", testing::read_file(dir + "/model.safetensors"));
  return encoder_load(testing::read_text(dir + "/config.json"), std::move(w));
}

TEST(job, encoder_steps_give_the_forward_and_the_pooled_embeddings) {
  const std::string dir = testing::fixture_path("bert_tiny_st");
  auto model = load_bert();
  const auto ids = to_int32(testing::read_npy(dir + "/input_ids.npy"));
  const auto mask = to_int32(testing::read_npy(dir + "/attention_mask.npy"));
  const auto shape = testing::read_npy(dir + "/input_ids.npy").shape;
  const int64_t batch = shape[0], seq = shape[1], hidden = model->hidden_size();
  const encoder_output whole = model->forward(ids.data(), nullptr, mask.data(), batch, seq);

  const void* data[] = {ids.data(), mask.data()};
  const shape_t dims{batch, seq};
  auto forward = model->new_job(job_request_from_json(request_json("forward", {{"input_ids", dims}, {"attention_mask", dims}}), data));
  EXPECT_EQ(run_to_end(*forward), model->n_layers());
  EXPECT_EQ(output(*forward, "last_hidden_state").values(), whole.last_hidden_state.values());
  EXPECT_EQ(output(*forward, "pooler_output").values(), whole.pooler_output.values());

  auto embed = model->new_job(job_request_from_json(
      request_json("embed", {{"input_ids", dims}, {"attention_mask", dims}}, {{"pooling", "mean"}, {"normalize", true}}), data));
  run_to_end(*embed);
  std::vector<float> pooled(size_t(batch * hidden));  // (batch, hidden)
  mean_pool(whole.last_hidden_state.data(), mask.data(), batch, seq, hidden, pooled.data());
  l2_normalize(pooled.data(), batch, hidden);
  EXPECT_EQ(output(*embed, "embeddings").values(), pooled);
  EXPECT_EQ(output(*embed, "embeddings").shape(), (shape_t{batch, hidden}));
}

TEST(job, causal_lm_steps_give_the_forward) {
  auto model = testing::load_causal_lm(testing::fixture_path("llama_gqa_tied"));
  const std::vector<int32_t> ids = {1, 404, 442, 316, 312, 4, 9, 200};  // (2, 4)
  const std::vector<int32_t> mask = {0, 1, 1, 1, 1, 1, 1, 1};
  kv_cache cache = model->new_cache(2, 4);
  std::vector<float> whole(size_t(2 * 4 * model->vocab_size()));
  model->forward(ids.data(), mask.data(), 2, 4, cache, logits_for::all_positions, whole.data());

  const void* data[] = {ids.data(), mask.data()};
  auto forward = model->new_job(job_request_from_json(request_json("forward", {{"input_ids", {2, 4}}, {"attention_mask", {2, 4}}}), data));
  EXPECT_EQ(run_to_end(*forward), model->n_layers());
  EXPECT_EQ(output(*forward, "logits").values(), whole);
  EXPECT_EQ(output(*forward, "logits").shape(), (shape_t{2, 4, model->vocab_size()}));
}

TEST(job, requests_a_model_cannot_run_are_refused_by_name) {
  auto model = load_bert();
  const std::vector<int32_t> ids = {101, 102};
  const void* data[] = {ids.data(), ids.data()};
  const auto refused = [&](const std::string& text) {
    return testing::error_message([&] { model->new_job(job_request_from_json(text, data)); }, error_bad_input);
  };
  testing::expect_contains(refused(request_json("generate", {{"input_ids", {1, 2}}})), {"forward and embed", "'generate'"});
  testing::expect_contains(refused(request_json("forward", {})), {"input_ids is missing"});
  testing::expect_contains(refused(request_json("forward", {{"input_ids", {2}}})), {"input_ids: expected 2 dims"});
  testing::expect_contains(refused(request_json("forward", {{"input_ids", {1, 2}}, {"attention_mask", {2, 1}}})),
                           {"attention_mask: dims (2, 1) differ"});
  testing::expect_contains(refused(request_json("embed", {{"input_ids", {1, 2}}}, {{"pooling", "max"}})),
                           {"pooling", "one of none, mean, cls"});
  testing::expect_contains(refused(request_json("forward", {{"input_ids", {0, 2}}})), {"dims [0, 2]"});
}

}  // namespace
}  // namespace wax
