#include "generation/seq2seq_generate.h"

#include <optional>
#include <vector>

#include "core/error.h"
#include "generation/generate.h"
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
    if (generation_) return generation_->step();
    if (!encoding_.step()) return false;
    decoder_ = encoding_.decoder();
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
    if (generation_) return generation_->output_views();
    return {{"tokens", "int32", {encoding_.batch(), 0}, start_ids_.data()}};
  }

 private:
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
};

}  // namespace

std::unique_ptr<job> seq2seq_generate_job_new(const seq2seq_model& model, const job_request& request) {
  return std::make_unique<seq2seq_generate_job>(model, request);
}

}  // namespace wax
