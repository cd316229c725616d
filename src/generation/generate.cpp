#include "generation/generate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/sizes.h"
#include "io/config.h"

namespace wax {
namespace {

bool is_token_id(const json& id) {
  return id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() <= std::numeric_limits<int32_t>::max();
}

// A token id or a list of them (eos_token_id, suppress_tokens, ...); absent or null: none.
std::vector<int32_t> token_ids(const json& object, const config_reader& options, const std::string& field) {
  const auto found = object.find(field);
  if (found == object.end() || found->is_null()) return {};
  if (is_token_id(*found)) return {found->get<int32_t>()};
  if (!found->is_array() || !std::all_of(found->begin(), found->end(), is_token_id)) options.fail(field, "a token id or a list of token ids");
  return found->get<std::vector<int32_t>>();
}

// [[index, token], ...] as generation_config.json gives them; a null token forces nothing there.
std::vector<std::pair<int64_t, int32_t>> forced_decoder_ids(const json& object, const config_reader& options) {
  const auto found = object.find("forced_decoder_ids");
  if (found == object.end() || found->is_null()) return {};
  std::vector<std::pair<int64_t, int32_t>> forced;
  const auto is_pair = [](const json& pair) {
    return pair.is_array() && pair.size() == 2 && pair[0].is_number_integer() && pair[0].get<int64_t>() >= 0 &&
           (pair[1].is_null() || is_token_id(pair[1]));
  };
  if (!found->is_array() || !std::all_of(found->begin(), found->end(), is_pair))
    options.fail("forced_decoder_ids", "a list of [index, token id] pairs");
  for (const json& pair : *found)
    if (!pair[1].is_null()) forced.emplace_back(pair[0].get<int64_t>(), pair[1].get<int32_t>());
  return forced;
}

// The options of `object`, whose fields `options` reads and names.
generate_options read_generate_options(const json& object, const config_reader& options) {
  generate_options result;
  const std::optional<int64_t> max_new_tokens = options.optional_int("max_new_tokens");
  if (max_new_tokens && *max_new_tokens < 0) options.fail("max_new_tokens", "a non-negative integer");
  if (max_new_tokens) result.max_new_tokens = *max_new_tokens;
  else if ((result.max_length = options.optional_int("max_length")) && *result.max_length < 1)
    options.fail("max_length", "a positive integer");
  result.eos_token_ids = token_ids(object, options, "eos_token_id");
  const auto pad = object.find("pad_token_id");
  if (pad != object.end() && !pad->is_null() && !is_token_id(*pad)) options.fail("pad_token_id", "a token id (an integer in [0, 2^31))");
  result.pad_token_id = pad != object.end() && !pad->is_null() ? pad->get<int32_t>() : 0;
  sampling_options& sampling = result.sampling;
  sampling.do_sample = options.boolean("do_sample", false);
  sampling.temperature = float(options.positive_number("temperature", 1.0));
  sampling.top_k = options.optional_int("top_k").value_or(0);
  if (sampling.top_k < 0) options.fail("top_k", "a non-negative integer");
  sampling.top_p = float(options.positive_number("top_p", 1.0));
  if (sampling.top_p > 1) options.fail("top_p", "a number in (0, 1]");
  sampling.min_p = float(options.optional_number("min_p").value_or(0.0));
  if (!(sampling.min_p >= 0 && sampling.min_p <= 1)) options.fail("min_p", "a number in [0, 1]");
  sampling.repetition_penalty = float(options.positive_number("repetition_penalty", 1.0));
  sampling.suppress_tokens = token_ids(object, options, "suppress_tokens");
  sampling.begin_suppress_tokens = token_ids(object, options, "begin_suppress_tokens");
  sampling.forced_decoder_ids = forced_decoder_ids(object, options);
  // Up to 2^53, which every number holds exactly (and casting a larger one to uint64 is undefined).
  const double seed = options.optional_number("seed").value_or(0.0);
  if (!(seed >= 0 && seed <= 0x1p53) || seed != std::trunc(seed)) options.fail("seed", "an integer in [0, 2^53]");
  sampling.seed = uint64_t(seed);
  return result;
}

}  // namespace

generate_options generate_options_from_json(std::string_view options_json) {
  const json object = config_parse(options_json, "generation options");
  return read_generate_options(object, config_reader(object, "generation options"));
}

generate_options generate_options_from_request(const json& call, const json& generation_config, const json& model_config) {
  if (!call.is_object()) throw error(error_bad_input, "generation options: expected an object, got " + json_describe(call));
  if (!generation_config.is_object())
    throw error(error_bad_config, "generation_config.json: expected a JSON object, got " + json_describe(generation_config));
  json merged = {{"top_k", 50}};
  for (const auto& [name, value] : generation_config.items()) {
    if (value.is_null() || call.contains(name)) continue;
    const json field = {{name, value}};
    try {
      read_generate_options(field, config_reader(field, "generation_config.json"));
    } catch (const error& e) {
      throw error(e.code(), std::string(e.what()) + "; fix the file, or pass " + name + " to override it");
    }
    merged[name] = value;
  }
  for (const auto& [name, value] : call.items()) merged[name] = value;
  for (auto field = merged.begin(); field != merged.end();) field = field->is_null() ? merged.erase(field) : std::next(field);

  if (!merged.contains("eos_token_id"))
    merged["eos_token_id"] = token_ids(model_config, config_reader(model_config, "config.json"), "eos_token_id");
  if (!merged.contains("pad_token_id")) {
    // Some config.json files write pad_token_id -1 for "none".
    const json pad = model_config.value("pad_token_id", json());
    const json& eos = merged["eos_token_id"];
    const json first_eos = eos.is_array() ? (eos.empty() ? json() : eos[0]) : eos;
    merged["pad_token_id"] = is_token_id(pad) ? pad : first_eos.is_null() ? json(0) : first_eos;
  }
  if (!merged.value("do_sample", false)) merged["top_k"] = 0;
  if (!merged.contains("seed")) merged["seed"] = std::random_device()();
  return read_generate_options(merged, config_reader(merged, "generation options"));
}

namespace {

// Positions a generation's cache starts with beyond the prompt; it doubles from there as needed.
constexpr int64_t initial_new_positions = 64;

// The checks made before anything is allocated: a shape the model can run, and a max_new_tokens
// whose cache could ever fit (it is counted in 64 bits: in wasm32 the product wraps).
generate_options checked_options(const token_decoder& model, int64_t batch, int64_t seq, generate_options options) {
  check_ids_shape(batch, seq);
  if (options.max_length) options.max_new_tokens = std::max<int64_t>(0, *options.max_length - seq);
  const int64_t max_new_tokens = options.max_new_tokens, positions = model.max_position_embeddings();
  if (max_new_tokens < 0)
    throw error(error_bad_input, "max_new_tokens: expected a non-negative integer, got " + std::to_string(max_new_tokens));
  if (max_new_tokens > positions)
    throw error(error_bad_input, "max_new_tokens: " + std::to_string(max_new_tokens) +
                                     " is more than the model's max_position_embeddings (" + std::to_string(positions) +
                                     "); ask for at most " + std::to_string(positions) + " new tokens");
  const uint64_t per_position = model.cache_shape().bytes_per_position(batch);
  const auto largest_length = int64_t(max_buffer_bytes / per_position);
  if (seq + max_new_tokens > largest_length) {
    const std::string fits = largest_length > seq ? "at most " + std::to_string(largest_length - seq) + " fit at this batch size"
                                                  : "even the prompt does not fit; use a smaller batch or a shorter prompt";
    throw error(error_too_large, "max_new_tokens: " + std::to_string(max_new_tokens) + " new tokens after " +
                                     std::to_string(batch) + " × " + std::to_string(seq) +
                                     " prompt tokens need a KV cache larger than the " + format_bytes(max_buffer_bytes) +
                                     " wasm32 can address (" + fits + ")");
  }
  return options;
}

}  // namespace

generator::generator(const token_decoder& model, const int32_t* ids, const int32_t* mask, int64_t batch, int64_t seq,
                     generate_options options)
    : model_(&model), options_(checked_options(model, batch, seq, std::move(options))), batch_(batch), seq_(seq),
      prompt_ids_(ids, ids + batch * seq), prompt_mask_(mask ? mask : ids, mask ? mask + batch * seq : ids),
      cache_(model.new_cache(batch, seq + std::min(options_.max_new_tokens, initial_new_positions),
                             seq + options_.max_new_tokens)),
      rows_(static_cast<size_t>(batch)), history_(static_cast<size_t>(batch)), finished_(static_cast<size_t>(batch), false),
      last_tokens_(static_cast<size_t>(batch)),
      logits_(checked_elements({batch, model.vocab_size()}, sizeof(float), "the logits")),
      processors_(options_.sampling), random_(options_.sampling.seed) {
  for (int64_t b = 0; b < batch; ++b) {
    rows_[size_t(b)].assign(ids + b * seq, ids + (b + 1) * seq);
    for (int64_t t = 0; t < seq; ++t)
      if (!mask || mask[b * seq + t]) history_[size_t(b)].push_back(ids[b * seq + t]);
  }
  done_ = options_.max_new_tokens == 0;
  if (!done_) begin_prompt_chunk();
}

void generator::begin_prompt_chunk() {
  const int64_t first = prompt_done_, count = std::min(prefill_chunk, seq_ - prompt_done_);
  std::vector<int32_t> ids(static_cast<size_t>(batch_ * count)), mask;
  for (int64_t b = 0; b < batch_; ++b)
    std::copy_n(prompt_ids_.begin() + b * seq_ + first, count, ids.begin() + b * count);
  if (!prompt_mask_.empty()) {
    mask.resize(ids.size());
    for (int64_t b = 0; b < batch_; ++b)
      std::copy_n(prompt_mask_.begin() + b * seq_ + first, count, mask.begin() + b * count);
  }
  pass_ = model_->forward_begin(ids.data(), mask.empty() ? nullptr : mask.data(), batch_, count, cache_);
  prompt_done_ += count;
}

generator::step_result generator::step() {
  if (done_) return step_result::finished;
  model_->forward_layer(*pass_, cache_);
  if (pass_->next_layer < model_->n_layers()) return step_result::layer_done;
  if (prompt_done_ < seq_) {  // the rest of the prompt first; only its last position needs logits
    pass_.reset();
    begin_prompt_chunk();
    return step_result::layer_done;
  }

  model_->forward_end(*pass_, logits_for::last_position, logits_.data());
  pass_.reset();
  choose_next_tokens();
  const bool all_finished = std::all_of(finished_.begin(), finished_.end(), [](bool f) { return f; });
  if (all_finished || new_tokens_ == options_.max_new_tokens) done_ = true;
  else pass_ = model_->forward_begin(last_tokens_.data(), nullptr, batch_, 1, cache_);
  return step_result::tokens_ready;
}

void generator::choose_next_tokens() {
  const int64_t vocab = model_->vocab_size();
  const auto& eos = options_.eos_token_ids;
  for (int64_t b = 0; b < batch_; ++b) {
    int32_t token = options_.pad_token_id;
    if (!finished_[size_t(b)]) {
      const row_state row{history_[size_t(b)], seq_ + new_tokens_, seq_};
      token = choose_token(logits_.data() + b * vocab, vocab, row, processors_, random_);
      history_[size_t(b)].push_back(token);
      if (std::find(eos.begin(), eos.end(), token) != eos.end()) finished_[size_t(b)] = true;
    }
    last_tokens_[size_t(b)] = token;
    rows_[size_t(b)].push_back(token);
  }
  ++new_tokens_;
}

std::vector<int32_t> generator::sequences() const {
  std::vector<int32_t> result;
  for (const auto& row : rows_) result.insert(result.end(), row.begin(), row.end());
  return result;
}

namespace {

class generate_job final : public job {
 public:
  generate_job(const token_decoder& model, const job_input& ids, const job_input* mask, generate_options options)
      : generator_(model, static_cast<const int32_t*>(ids.data), mask ? static_cast<const int32_t*>(mask->data) : nullptr,
                   ids.dims[0], ids.dims[1], std::move(options)),
        batch_(ids.dims[0]) {}

  bool step() override {
    const generator::step_result result = generator_.step();
    if (result == generator::step_result::layer_done) return false;
    new_tokens_ = result == generator::step_result::tokens_ready ? 1 : 0;
    return true;
  }
  bool has_more() const override { return !generator_.finished(); }
  uint64_t held_bytes() const override { return generator_.cache_bytes(); }
  json info() const override {
    json result = job::info();
    result["max_new_tokens"] = generator_.options().max_new_tokens;
    result["eos_token_id"] = generator_.options().eos_token_ids;
    return result;
  }
  std::vector<job_output_view> output_views() const override {
    return {{"tokens", "int32", {batch_, new_tokens_}, generator_.last_tokens().data()}};
  }

 private:
  generator generator_;
  int64_t batch_;
  int64_t new_tokens_ = 0;
};

}  // namespace

std::unique_ptr<job> generate_job_new(const causal_lm& model, const job_request& request) {
  const job_input& ids = *request.int32_input("input_ids", 2, true);
  const job_input* mask = request.attention_mask_for(ids);
  const json& file = model.generation_config();
  generate_options options = generate_options_from_request(request.options, file, model.config());
  try {
    return std::make_unique<generate_job>(model, ids, mask, std::move(options));
  } catch (const error& e) {
    const json from_file = request.options.contains("max_new_tokens") ? json() : file.value("max_new_tokens", json());
    if (from_file.is_null() || std::string_view(e.what()).substr(0, 14) != "max_new_tokens") throw;
    throw error(e.code(), std::string(e.what()) + " (generation_config.json sets max_new_tokens " + from_file.dump() +
                              ": pass max_new_tokens to override it)");
  }
}

std::unique_ptr<job> generate_job_over(const token_decoder& decoder, const job_input& ids, const job_input* mask,
                                       generate_options options) {
  return std::make_unique<generate_job>(decoder, ids, mask, std::move(options));
}

std::vector<int32_t> generate(const token_decoder& model, const int32_t* ids, const int32_t* mask, int64_t batch,
                              int64_t seq, const generate_options& options) {
  generator g(model, ids, mask, batch, seq, options);
  while (g.step() != generator::step_result::finished) {
  }
  return g.sequences();
}

}  // namespace wax
