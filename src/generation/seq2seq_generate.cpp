#include "generation/seq2seq_generate.h"

#include <optional>
#include <vector>

#include "core/error.h"
#include "generation/generate.h"
#include "generation/token_timestamps.h"
#include "generation/whisper_timestamps.h"

namespace wax {
namespace {

class seq2seq_generate_job final : public job {
 public:
  seq2seq_generate_job(const seq2seq_model& model, const job_request& request)
      : encoding_(model, request),
        options_(generate_options_from_request(request.options, model.generation_config(), model.config())) {
    options_.sampling.timestamps = timestamp_rules_for(model, request.options);
    const int64_t batch = encoding_.batch();
    read_token_timestamp_options(model, request);
    if (const job_input* ids = checked_decoder_input_ids(model, request, batch, false)) {
      const auto* values = static_cast<const int32_t*>(ids->data);
      start_ids_.assign(values, values + ids->dims[0] * ids->dims[1]);
      start_dims_ = ids->dims;
    } else {
      start_ids_.assign(size_t(batch), start_token(model));
      start_dims_ = {batch, 1};
    }
    const int64_t positions = start_dims_[1] + options_.max_new_tokens;
    if (positions > model.max_target_positions())
      throw error(error_bad_input, "max_new_tokens: " + std::to_string(options_.max_new_tokens) + " new tokens after " +
                                       std::to_string(start_dims_[1]) + " decoder_input_ids pass max_target_positions (" +
                                       std::to_string(model.max_target_positions()) + "); ask for at most " +
                                       std::to_string(model.max_target_positions() - start_dims_[1]));
  }

  bool step() override {
    if (generation_) {
      const bool ready = generation_->step();
      if (ready && token_timestamps_wanted_ && !generation_->has_more()) align_tokens();
      return ready;
    }
    if (!encoding_.step()) return false;
    decoder_ = encoding_.decoder();
    if (token_timestamps_wanted_)
      decoder_->record_cross_attention(alignment_heads_from(model_->generation_config(), model_->n_decoder_layers(),
                                                            model_->decoder_cache_shape().n_kv_heads));
    const job_input ids{"decoder_input_ids", "int32", start_dims_, start_ids_.data()};
    generation_ = generate_job_over(*decoder_, ids, nullptr, options_);
    return false;
  }
  bool has_more() const override { return !generation_ || generation_->has_more(); }
  uint64_t held_bytes() const override {
    return (generation_ ? generation_->held_bytes() : 0) + (decoder_ ? decoder_->cross_bytes() : 0);
  }
  json info() const override {
    json result = generation_ ? generation_->info() : job::info();
    result["held_bytes"] = held_bytes();
    result["max_new_tokens"] = options_.max_new_tokens;
    result["eos_token_id"] = options_.eos_token_ids;
    result["decoder_input_ids"] = start_ids_;
    return result;
  }
  std::vector<job_output_view> output_views() const override {
    if (generation_) {
      std::vector<job_output_view> views = generation_->output_views();
      if (!timestamps_.empty())
        views.push_back({"token_timestamps", "float32", {encoding_.batch(), int64_t(timestamps_.size()) / encoding_.batch()},
                         timestamps_.data()});
      return views;
    }
    return {{"tokens", "int32", {encoding_.batch(), 0}, start_ids_.data()}};
  }

 private:
  // return_token_timestamps (false), num_frames (the audio's mel frames: input_features' count
  // when absent), time_precision (seconds per encoder position, 0.02) and config.json's
  // median_filter_width (7).
  void read_token_timestamp_options(const seq2seq_model& model, const job_request& request) {
    model_ = &model;
    const json& call = request.options;
    const json wanted = call.value("return_token_timestamps", json(false));
    if (!wanted.is_boolean())
      throw error(error_bad_input, "return_token_timestamps: expected true or false, got " + json_describe(wanted));
    token_timestamps_wanted_ = wanted.get<bool>();
    num_frames_ = 2 * model.n_source_positions();
    for (const job_input& input : request.inputs)
      if (input.name == "input_features") num_frames_ = input.dims[2];
    if (call.contains("num_frames") && !call["num_frames"].is_null()) {
      const json& frames = call["num_frames"];
      if (!frames.is_number_integer() || frames.get<int64_t>() < 2)
        throw error(error_bad_input, "num_frames: expected the audio's mel frame count (an integer ≥ 2), got " + json_describe(frames));
      num_frames_ = frames.get<int64_t>();
    }
    const json precision = call.value("time_precision", json(0.02));
    if (!precision.is_number() || !(precision.get<double>() > 0))
      throw error(error_bad_input, "time_precision: expected seconds per encoder position (> 0), got " + json_describe(precision));
    time_precision_ = precision.get<double>();
    const json width = model.config().value("median_filter_width", json(7));
    if (!width.is_number_integer() || width.get<int64_t>() < 1 || width.get<int64_t>() % 2 == 0)
      throw error(error_bad_config, "config.json: median_filter_width must be an odd positive integer, got " + json_describe(width));
    median_filter_width_ = width.get<int64_t>();
  }

  // Every row's token start times from the recorded cross-attention, the audio's frames only
  // (two mel frames per encoder position).
  void align_tokens() {
    const cross_attention_record& record = *decoder_->recorded_cross_attention();
    for (const auto& row : record.rows) {
      const std::vector<float> times =
          token_timestamps(row.data(), record.n_positions, int64_t(record.heads.size()), record.n_keys, num_frames_ / 2,
                           median_filter_width_, time_precision_);
      timestamps_.insert(timestamps_.end(), times.begin(), times.end());
    }
  }

  // Whisper's timestamp rules when the call (else generation_config.json) sets return_timestamps:
  // the timestamp tokens follow generation_config.json's no_timestamps_token_id.
  static std::optional<timestamp_rules> timestamp_rules_for(const seq2seq_model& model, const json& call) {
    const json& file = model.generation_config();
    const json asked = call.contains("return_timestamps") ? call["return_timestamps"] : file.value("return_timestamps", json());
    if (asked.is_null()) return std::nullopt;
    if (!asked.is_boolean()) throw error(error_bad_input, "return_timestamps: expected true or false, got " + json_describe(asked));
    if (!asked.get<bool>()) return std::nullopt;
    const json no_timestamps = file.value("no_timestamps_token_id", json());
    if (!no_timestamps.is_number_integer() || no_timestamps.get<int64_t>() < 0 || no_timestamps.get<int64_t>() >= model.vocab_size())
      throw error(error_bad_config, "generation_config.json: no_timestamps_token_id must be a token id for return_timestamps "
                                    "(the timestamp tokens follow it), got " + json_describe(no_timestamps));
    const json eos = file.value("eos_token_id", model.config().value("eos_token_id", json()));
    const json first_eos = eos.is_array() && !eos.empty() ? eos[0] : eos;
    if (!first_eos.is_number_integer())
      throw error(error_bad_config, "generation_config.json: eos_token_id must be a token id for return_timestamps (text tokens are "
                                    "the ids below it), got " + json_describe(eos));
    const json initial = file.value("max_initial_timestamp_index", json());
    return timestamp_rules{no_timestamps.get<int32_t>(), first_eos.get<int32_t>(),
                           initial.is_number_integer() ? initial.get<int64_t>() : -1};
  }

  // generation_config.json's decoder_start_token_id, else config.json's.
  static int32_t start_token(const seq2seq_model& model) {
    const json& file = model.generation_config();
    const auto found = file.find("decoder_start_token_id");
    if (found == file.end() || found->is_null()) return model.decoder_start_token_id();
    if (!found->is_number_integer() || found->get<int64_t>() < 0 || found->get<int64_t>() >= model.vocab_size())
      throw error(error_bad_config, "generation_config.json: decoder_start_token_id must be a token id below vocab_size (" +
                                        std::to_string(model.vocab_size()) + "), got " + json_describe(*found));
    return found->get<int32_t>();
  }

  seq2seq_encoding encoding_;
  generate_options options_;
  std::vector<int32_t> start_ids_;  // (batch, n)
  shape_t start_dims_;
  std::unique_ptr<seq2seq_decoder> decoder_;
  std::unique_ptr<job> generation_;
  const seq2seq_model* model_ = nullptr;
  bool token_timestamps_wanted_ = false;
  int64_t num_frames_ = 0;
  double time_precision_ = 0.02;
  int64_t median_filter_width_ = 7;
  std::vector<float> timestamps_;  // (batch, n_positions + 1) once the generation is done
};

}  // namespace

std::unique_ptr<job> seq2seq_generate_job_new(const seq2seq_model& model, const job_request& request) {
  return std::make_unique<seq2seq_generate_job>(model, request);
}

}  // namespace wax
