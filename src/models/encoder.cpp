#include "models/encoder.h"

#include "core/error.h"
#include "core/sizes.h"
#include "ops/pooling.h"

namespace wax {
namespace {

enum class pooling_kind { none, mean, cls };

// What a job does once the last layer has run.
struct encoder_task {
  bool embed = false;  // "embed": pooled (or token) embeddings; "forward": the model's outputs
  pooling_kind pooling = pooling_kind::none;
  bool normalize = false;
};

encoder_task encoder_task_from(const job_request& request) {
  if (request.task == "forward") return {};
  if (request.task != "embed")
    throw error(error_bad_input, "an encoder runs the tasks forward and embed, not '" + request.task + "'");
  const config_reader options = request.options_reader();
  encoder_task task{true};
  const std::string pooling = options.string("pooling", "mean");
  if (pooling == "mean") task.pooling = pooling_kind::mean;
  else if (pooling == "cls") task.pooling = pooling_kind::cls;
  else if (pooling != "none") options.fail("pooling", "one of none, mean, cls");
  task.normalize = options.boolean("normalize", false);
  return task;
}

// The inputs of a forward: input_ids (batch, seq), token_type_ids and attention_mask of the same
// dims or absent.
struct encoder_inputs {
  const int32_t* ids;
  const int32_t* token_type_ids;
  const int32_t* mask;
  int64_t batch, seq;
};

encoder_inputs encoder_inputs_from(const job_request& request) {
  const job_input& ids = *request.int32_input("input_ids", 2, true);
  const auto same_dims_input = [&](const char* name) -> const int32_t* {
    const job_input* input = request.int32_input(name, 2, false);
    if (!input) return nullptr;
    if (input->dims != ids.dims)
      throw error(error_bad_input, std::string(name) + ": dims " + shape_to_string(input->dims) + " differ from input_ids' " +
                                       shape_to_string(ids.dims));
    return static_cast<const int32_t*>(input->data);
  };
  return {static_cast<const int32_t*>(ids.data), same_dims_input("token_type_ids"), same_dims_input("attention_mask"), ids.dims[0],
          ids.dims[1]};
}

class encoder_job : public job {
 public:
  encoder_job(const encoder_model& model, encoder_task task, const encoder_inputs& inputs)
      : model_(&model), task_(task),
        mask_(inputs.mask ? std::vector<int32_t>(inputs.mask, inputs.mask + inputs.batch * inputs.seq)
                          : std::vector<int32_t>()),
        pass_(model.forward_begin(inputs.ids, inputs.token_type_ids, inputs.mask, inputs.batch, inputs.seq)) {}

  bool step() override {
    if (done_) return true;
    if (pass_.next_layer < model_->n_layers()) model_->forward_layer(pass_);
    if (pass_.next_layer < model_->n_layers()) return false;
    finish(model_->forward_end(pass_));
    done_ = true;
    return true;
  }

 private:
  void finish(encoder_output out) {
    const int64_t batch = pass_.batch, seq = pass_.seq, hidden = model_->hidden_size();
    tensor& states = out.last_hidden_state;  // (batch, seq, hidden)
    if (!task_.embed) {
      outputs_.emplace_back("last_hidden_state", std::move(states));
      if (out.pooler_output.numel() > 0) outputs_.emplace_back("pooler_output", std::move(out.pooler_output));
      return;
    }
    if (task_.pooling == pooling_kind::none) {
      if (task_.normalize) l2_normalize(states.data(), batch * seq, hidden);
      outputs_.emplace_back("embeddings", std::move(states));
      return;
    }
    tensor pooled({batch, hidden}, "the pooled embeddings");  // (batch, hidden)
    if (task_.pooling == pooling_kind::mean)
      mean_pool(states.data(), mask_.empty() ? nullptr : mask_.data(), batch, seq, hidden, pooled.data());
    else cls_pool(states.data(), batch, seq, hidden, pooled.data());
    if (task_.normalize) l2_normalize(pooled.data(), batch, hidden);
    outputs_.emplace_back("embeddings", std::move(pooled));
  }

  const encoder_model* model_;
  encoder_task task_;
  std::vector<int32_t> mask_;  // (batch, seq), empty: none; mean pooling reads it at the end
  encoder_pass pass_;
  bool done_ = false;
};

}  // namespace

json encoder_model::info() const {
  json result = loaded_model::info();
  result["hidden_size"] = hidden_size();
  result["max_position_embeddings"] = max_positions();
  return result;
}

std::unique_ptr<job> encoder_model::new_job(const job_request& request) const {
  const encoder_task task = encoder_task_from(request);
  return std::make_unique<encoder_job>(*this, task, encoder_inputs_from(request));
}

}  // namespace wax
