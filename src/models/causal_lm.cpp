#include "models/causal_lm.h"

#include "core/error.h"
#include "core/sizes.h"

namespace wax {
namespace {

// input_ids (batch, seq) with batch and seq positive.
const job_input& checked_ids(const job_request& request) {
  const job_input& ids = *request.int32_input("input_ids", 2, true);
  check_ids_shape(ids.dims[0], ids.dims[1]);
  return ids;
}

// model.forward(): every position's logits, one decoder layer a step.
class causal_lm_forward_job : public job {
 public:
  causal_lm_forward_job(const causal_lm& model, const job_request& request, const job_input& ids)
      : model_(&model), cache_(model.new_cache(ids.dims[0], ids.dims[1])) {
    const int64_t batch = ids.dims[0], seq = ids.dims[1];
    const job_input* mask = request.attention_mask_for(ids);
    outputs_.emplace_back("logits", tensor());
    outputs_[0].second.resize({batch, seq, model.vocab_size()}, "the logits");  // (batch, seq, vocab)
    pass_ = model.forward_begin(static_cast<const int32_t*>(ids.data),
                                mask ? static_cast<const int32_t*>(mask->data) : nullptr, batch, seq, cache_);
  }

  bool step() override {
    if (done_) return true;
    if (pass_.next_layer < model_->n_layers()) model_->forward_layer(pass_, cache_);
    if (pass_.next_layer < model_->n_layers()) return false;
    model_->forward_end(pass_, logits_for::all_positions, outputs_[0].second.data());
    done_ = true;
    return true;
  }

 private:
  const causal_lm* model_;
  kv_cache cache_;
  forward_pass pass_;
  bool done_ = false;
};

}  // namespace

json causal_lm::info() const {
  json result = loaded_model::info();
  result["vocab_size"] = vocab_size();
  result["max_position_embeddings"] = max_position_embeddings();
  result["weight_bytes"] = weight_bytes();
  result["scratch_bytes"] = scratch_bytes();
  return result;
}

std::unique_ptr<job> causal_lm::new_job(const job_request& request) const {
  if (request.task == "forward") return std::make_unique<causal_lm_forward_job>(*this, request, checked_ids(request));
  throw error(error_bad_input, "a causal language model runs the task forward, not '" + request.task + "'");
}

}  // namespace wax
