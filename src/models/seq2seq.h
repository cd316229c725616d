// What every encoder-decoder model (Whisper now) offers callers: its encoder over input features
// in steps of one layer; each decoder layer's cross-attention keys and values, computed once per
// encoder output; and its decoder over them, which models/decoder.h's token_decoder wraps
// (seq2seq_decoder) so that the one generation loop drives it as it drives a causal LM.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/tensor.h"
#include "models/decoder.h"
#include "models/encoder.h"
#include "models/job.h"
#include "models/loaded_model.h"
#include "nn/attention.h"
#include "nn/kv_cache.h"

namespace wax {

class seq2seq_model : public loaded_model {
 public:
  virtual int64_t vocab_size() const = 0;
  virtual int64_t d_model() const = 0;
  virtual int64_t n_encoder_layers() const = 0;
  virtual int64_t n_decoder_layers() const = 0;
  virtual int64_t n_source_positions() const = 0;   // the encoder output's length
  virtual int64_t max_target_positions() const = 0;  // the decoder's positions
  virtual int32_t decoder_start_token_id() const = 0;  // config.json's

  // Throws WAX_BAD_INPUT naming input_features unless dims are (batch, features, frames) as the
  // model reads them.
  virtual void check_input_features(const shape_t& dims) const = 0;
  // input_features (batch, features, frames), checked. Begin runs the stem, each encoder_layer
  // call the next layer, end gives the encoder output (batch, n_source_positions, d_model).
  virtual encoder_pass encoder_begin(const float* input_features, int64_t batch) const = 0;
  virtual void encoder_layer(encoder_pass& pass) const = 0;
  virtual tensor encoder_end(encoder_pass& pass) const = 0;

  // Cross-attention keys and values of every decoder layer, one (n_source_positions) slot run:
  // new, then filled one layer a call from encoder_hidden_states (batch, n_source_positions, d_model).
  kv_cache cross_cache_new(int64_t batch) const;
  virtual void cross_cache_layer(const tensor& encoder_hidden_states, kv_cache& cross, int64_t layer) const = 0;

  // The decoder, as token_decoder's forward_begin/layer/end with the cross cache beside the self
  // cache (seq2seq_decoder binds them).
  virtual kv_cache_shape decoder_cache_shape() const = 0;
  virtual forward_pass decoder_begin(const int32_t* ids, int64_t batch, int64_t n_new, kv_cache& cache) const = 0;
  // `probe`, when given, receives the cross-attention weights of some of this layer's heads.
  virtual void decoder_layer(forward_pass& pass, kv_cache& cache, const kv_cache& cross,
                             const attention_probe* probe = nullptr) const = 0;
  virtual void decoder_end(forward_pass& pass, logits_for which, float* logits) const = 0;

  // Tasks, in bounded steps (the stem, a layer): "encode": input_features (batch, features,
  // frames) float32 → "last_hidden_state" (batch, n_source_positions, d_model); "forward":
  // input_features or encoder_hidden_states, and decoder_input_ids (batch, n) int32 → "logits"
  // (batch, n, vocab_size).
  std::unique_ptr<job> new_job(const job_request& request) const override;
  json info() const override;
};

// The cross-attention weights of chosen (layer, head) pairs, kept for every decoder position a
// pass runs (word timestamps align them with the audio).
struct cross_attention_record {
  std::vector<std::pair<int64_t, int64_t>> heads;  // (layer, head), sorted
  int64_t n_keys = 0;                              // n_source_positions
  int64_t n_positions = 0;                         // decoder positions recorded so far
  std::vector<std::vector<float>> rows;            // (batch,) of (n_positions, heads.size(), n_keys)
};

// The decoder bound to one encoder output's cross cache: the token decoder a generation drives.
// Decoder masks are not supported (every decoder row is its own prompt, unpadded).
class seq2seq_decoder final : public token_decoder {
 public:
  seq2seq_decoder(const seq2seq_model& model, kv_cache cross) : model_(&model), cross_(std::move(cross)) {}

  int64_t vocab_size() const override { return model_->vocab_size(); }
  int64_t n_layers() const override { return model_->n_decoder_layers(); }
  int64_t max_position_embeddings() const override { return model_->max_target_positions(); }
  kv_cache_shape cache_shape() const override { return model_->decoder_cache_shape(); }
  forward_pass forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                             kv_cache& cache) const override;
  void forward_layer(forward_pass& pass, kv_cache& cache) const override;
  void forward_end(forward_pass& pass, logits_for which, float* logits) const override {
    model_->decoder_end(pass, which, logits);
  }
  size_t cross_bytes() const { return cross_.bytes(); }

  // From now on, keeps the cross-attention weights of `heads` ((layer, head) pairs of this
  // decoder; WAX_BAD_CONFIG naming alignment_heads otherwise) for every position that passes.
  void record_cross_attention(std::vector<std::pair<int64_t, int64_t>> heads);
  const cross_attention_record* recorded_cross_attention() const { return record_ ? &*record_ : nullptr; }

 private:
  const seq2seq_model* model_;
  kv_cache cross_;  // (n_decoder_layers, batch, heads, n_source_positions, head_dim)
  mutable std::optional<cross_attention_record> record_;  // grows as the const forward passes run
};

// The source side of a request, in bounded steps: the encoder's stem and layers over
// input_features (none when the request gives encoder_hidden_states), then one decoder layer's
// cross-attention keys and values a step (unless `cross_attention` is false: an encoder pass
// alone). Then decoder() is ready.
class seq2seq_encoding {
 public:
  // Checks the inputs (input_features or encoder_hidden_states, float32) and copies them.
  seq2seq_encoding(const seq2seq_model& model, const job_request& request, bool cross_attention = true);

  bool step();  // true once the encoder output (and decoder(), with cross_attention) is ready
  int64_t batch() const { return batch_; }
  tensor& encoder_hidden_states() { return states_; }  // (batch, n_source_positions, d_model) once encoded
  // The bound decoder, once step() gave true; moved out by the first call.
  std::unique_ptr<seq2seq_decoder> decoder();

 private:
  const seq2seq_model* model_;
  int64_t batch_ = 0;
  std::vector<float> features_;  // (batch, features, frames), until the stem has read them
  std::optional<encoder_pass> pass_;
  bool encoded_ = false;
  bool cross_attention_;
  tensor states_;  // (batch, n_source_positions, d_model)
  std::optional<kv_cache> cross_;
  int64_t next_cross_layer_ = 0;
};

// decoder_input_ids (batch, n) int32 of `model`'s vocabulary, batch `batch` (null when absent and
// not required); throws WAX_BAD_INPUT naming it otherwise.
const job_input* checked_decoder_input_ids(const seq2seq_model& model, const job_request& request, int64_t batch,
                                           bool required);

}  // namespace wax
