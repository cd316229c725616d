#include "models/seq2seq.h"

#include <algorithm>

#include "core/error.h"
#include "core/sizes.h"

namespace wax {
namespace {

// The float32 input `name` (absent: null), which must have `rank` dims.
const job_input* float32_input(const job_request& request, const std::string& name, size_t rank) {
  for (const job_input& input : request.inputs) {
    if (input.name != name) continue;
    if (input.dtype != "float32" || input.dims.size() != rank)
      throw error(error_bad_input, name + ": expected " + std::to_string(rank) + " dims of float32, got " +
                                       std::to_string(input.dims.size()) + " of " + input.dtype);
    return &input;
  }
  return nullptr;
}

// "forward": the source side, then the decoder over decoder_input_ids, one layer a step.
class seq2seq_forward_job : public job {
 public:
  seq2seq_forward_job(const seq2seq_model& model, const job_request& request)
      : model_(&model), encoding_(model, request) {
    const job_input& ids = *checked_decoder_input_ids(model, request, encoding_.batch(), true);
    ids_.assign(static_cast<const int32_t*>(ids.data), static_cast<const int32_t*>(ids.data) + ids.dims[0] * ids.dims[1]);
    n_ = ids.dims[1];
  }

  bool step() override {
    if (done_) return true;
    if (!decoder_) {
      if (!encoding_.step()) return false;
      decoder_ = encoding_.decoder();
      cache_.emplace(decoder_->new_cache(encoding_.batch(), n_));
      pass_ = decoder_->forward_begin(ids_.data(), nullptr, encoding_.batch(), n_, *cache_);
      return false;
    }
    decoder_->forward_layer(pass_, *cache_);
    if (pass_.next_layer < decoder_->n_layers()) return false;
    tensor& logits = outputs_.emplace_back("logits", tensor()).second;  // (batch, n, vocab)
    logits.resize({encoding_.batch(), n_, model_->vocab_size()}, "the logits");
    decoder_->forward_end(pass_, logits_for::all_positions, logits.data());
    done_ = true;
    return true;
  }
  uint64_t held_bytes() const override {
    return (cache_ ? cache_->bytes() : 0) + (decoder_ ? decoder_->cross_bytes() : 0);
  }

 private:
  const seq2seq_model* model_;
  seq2seq_encoding encoding_;
  std::vector<int32_t> ids_;  // (batch, n)
  int64_t n_ = 0;
  std::unique_ptr<seq2seq_decoder> decoder_;
  std::optional<kv_cache> cache_;
  forward_pass pass_;
  bool done_ = false;
};

// "encode": the encoder alone.
class seq2seq_encode_job : public job {
 public:
  seq2seq_encode_job(const seq2seq_model& model, const job_request& request) : encoding_(model, request, false) {}

  bool step() override {
    if (!outputs_.empty()) return true;
    if (!encoding_.step()) return false;
    outputs_.emplace_back("last_hidden_state", std::move(encoding_.encoder_hidden_states()));
    return true;
  }

 private:
  seq2seq_encoding encoding_;
};

}  // namespace

kv_cache seq2seq_model::cross_cache_new(int64_t batch) const {
  kv_cache cross(decoder_cache_shape(), batch, n_source_positions(), n_source_positions());
  cross.append(nullptr, n_source_positions());
  return cross;
}

json seq2seq_model::info() const {
  json result = loaded_model::info();
  result["vocab_size"] = vocab_size();
  result["d_model"] = d_model();
  result["max_source_positions"] = n_source_positions();
  result["max_target_positions"] = max_target_positions();
  result["decoder_start_token_id"] = decoder_start_token_id();
  return result;
}

std::unique_ptr<job> seq2seq_model::new_job(const job_request& request) const {
  if (request.task == "forward") return std::make_unique<seq2seq_forward_job>(*this, request);
  if (request.task == "encode") return std::make_unique<seq2seq_encode_job>(*this, request);
  throw error(error_bad_input, "a sequence-to-sequence model runs the tasks encode, forward and generate, not '" +
                                   request.task + "'");
}

forward_pass seq2seq_decoder::forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                                            kv_cache& cache) const {
  if (mask) throw error(error_bad_input, "attention_mask: a sequence-to-sequence decoder takes unpadded decoder_input_ids");
  forward_pass pass = model_->decoder_begin(ids, batch, n_new, cache);
  if (record_) {
    record_->n_positions = pass.start + n_new;
    record_->rows.resize(size_t(batch));
    for (auto& row : record_->rows)
      row.resize(size_t(record_->n_positions * int64_t(record_->heads.size()) * record_->n_keys));
  }
  return pass;
}

void seq2seq_decoder::forward_layer(forward_pass& pass, kv_cache& cache) const {
  if (!record_) return model_->decoder_layer(pass, cache, cross_);
  const int64_t layer = pass.next_layer, n_heads = int64_t(record_->heads.size());
  attention_probe probe;
  probe.first_query = pass.start;
  probe.row_stride = n_heads * record_->n_keys;
  int64_t first = -1;
  for (int64_t i = 0; i < n_heads; ++i)
    if (record_->heads[size_t(i)].first == layer) {
      if (first < 0) first = i;
      probe.heads.push_back(record_->heads[size_t(i)].second);
    }
  if (probe.heads.empty()) return model_->decoder_layer(pass, cache, cross_);
  for (auto& row : record_->rows) probe.rows.push_back(row.data() + first * record_->n_keys);
  model_->decoder_layer(pass, cache, cross_, &probe);
}

void seq2seq_decoder::record_cross_attention(std::vector<std::pair<int64_t, int64_t>> heads) {
  const kv_cache_shape shape = model_->decoder_cache_shape();
  for (const auto& [layer, head] : heads)
    if (layer < 0 || layer >= model_->n_decoder_layers() || head < 0 || head >= shape.n_kv_heads)
      throw error(error_bad_config, "generation_config.json: alignment_heads must hold [layer, head] pairs below (" +
                                        std::to_string(model_->n_decoder_layers()) + ", " + std::to_string(shape.n_kv_heads) +
                                        "), got [" + std::to_string(layer) + ", " + std::to_string(head) + "]");
  std::sort(heads.begin(), heads.end());
  heads.erase(std::unique(heads.begin(), heads.end()), heads.end());
  record_ = cross_attention_record{std::move(heads), model_->n_source_positions(), 0, {}};
}

seq2seq_encoding::seq2seq_encoding(const seq2seq_model& model, const job_request& request, bool cross_attention)
    : model_(&model), cross_attention_(cross_attention) {
  const job_input* features = float32_input(request, "input_features", 3);
  const job_input* states = cross_attention ? float32_input(request, "encoder_hidden_states", 3) : nullptr;
  if (features && states)
    throw error(error_bad_input, request.task + ": give input_features or encoder_hidden_states, not both");
  if (states) {
    const shape_t expected = {states->dims[0], model.n_source_positions(), model.d_model()};
    if (states->dims[0] < 1 || states->dims != expected)
      throw error(error_bad_input, "encoder_hidden_states: expected dims (batch, " + std::to_string(model.n_source_positions()) +
                                       ", " + std::to_string(model.d_model()) + "), got " + shape_to_string(states->dims));
    batch_ = states->dims[0];
    states_.resize(states->dims, "encoder_hidden_states");
    std::copy_n(static_cast<const float*>(states->data), states_.numel(), states_.data());
    encoded_ = true;
    return;
  }
  if (!features)
    throw error(error_bad_input, request.task + ": the input input_features" +
                                     std::string(cross_attention ? " (or encoder_hidden_states)" : "") + " is missing");
  model.check_input_features(features->dims);
  batch_ = features->dims[0];
  const auto* values = static_cast<const float*>(features->data);
  features_.assign(values, values + checked_elements(features->dims, sizeof(float), "input_features"));
}

bool seq2seq_encoding::step() {
  if (!encoded_) {
    if (!pass_) {
      pass_ = model_->encoder_begin(features_.data(), batch_);
      features_ = {};
      return false;
    }
    model_->encoder_layer(*pass_);
    if (pass_->next_layer < model_->n_encoder_layers()) return false;
    states_ = model_->encoder_end(*pass_);
    pass_.reset();
    encoded_ = true;
    return !cross_attention_;
  }
  if (!cross_attention_) return true;
  if (!cross_) cross_.emplace(model_->cross_cache_new(batch_));
  if (next_cross_layer_ < model_->n_decoder_layers()) model_->cross_cache_layer(states_, *cross_, next_cross_layer_++);
  return next_cross_layer_ == model_->n_decoder_layers();
}

std::unique_ptr<seq2seq_decoder> seq2seq_encoding::decoder() {
  if (!cross_ || next_cross_layer_ < model_->n_decoder_layers())
    throw error(error_bad_input, "the encoder output is not ready: step the job until it is");
  return std::make_unique<seq2seq_decoder>(*model_, std::move(*cross_));
}

const job_input* checked_decoder_input_ids(const seq2seq_model& model, const job_request& request, int64_t batch,
                                           bool required) {
  const job_input* ids = request.int32_input("decoder_input_ids", 2, required);
  if (!ids) return nullptr;
  if (ids->dims[0] != batch || ids->dims[1] < 1)
    throw error(error_bad_input, "decoder_input_ids: expected dims (" + std::to_string(batch) +
                                     ", n ≥ 1), the encoder input's batch, got " + shape_to_string(ids->dims));
  if (ids->dims[1] > model.max_target_positions())
    throw error(error_bad_input, "decoder_input_ids: " + std::to_string(ids->dims[1]) + " ids exceed max_target_positions (" +
                                     std::to_string(model.max_target_positions()) + ")");
  const auto* values = static_cast<const int32_t*>(ids->data);
  for (int64_t i = 0; i < ids->dims[0] * ids->dims[1]; ++i)
    if (values[i] < 0 || values[i] >= model.vocab_size())
      throw error(error_bad_input, "decoder_input_ids: id " + std::to_string(values[i]) + " at index " + std::to_string(i) +
                                       " is outside the vocabulary [0, " + std::to_string(model.vocab_size()) + ")");
  return ids;
}

}  // namespace wax
