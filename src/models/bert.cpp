#include "models/bert.h"

#include <cmath>

#include "core/error.h"
#include "core/sizes.h"
#include "io/config.h"
#include "nn/attention.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "ops/activations.h"

namespace wax {
namespace {

// Field names as in config.json.
struct bert_config {
  int64_t vocab_size;
  int64_t hidden_size;
  int64_t num_hidden_layers;
  int64_t num_attention_heads;
  int64_t intermediate_size;
  int64_t max_position_embeddings;
  int64_t type_vocab_size;
  double layer_norm_eps;
  activation hidden_act;

  static bert_config from_json(const config_reader& config) {
    bert_config c;
    c.vocab_size = config.dimension("vocab_size");
    c.hidden_size = config.dimension("hidden_size");
    c.num_hidden_layers = config.dimension("num_hidden_layers");
    c.num_attention_heads = config.dimension("num_attention_heads");
    if (c.hidden_size % c.num_attention_heads != 0)
      config.fail("hidden_size", "a multiple of num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
    c.intermediate_size = config.dimension("intermediate_size");
    c.max_position_embeddings = config.dimension("max_position_embeddings", 512);
    c.type_vocab_size = config.dimension("type_vocab_size", 2);
    c.layer_norm_eps = config.positive_number("layer_norm_eps", 1e-12);
    auto kind = activation_from_name(config.string("hidden_act", "gelu"));
    if (!kind) config.fail("hidden_act", "one of gelu, gelu_new, relu, silu");
    c.hidden_act = *kind;
    const std::string positions = config.string("position_embedding_type", "absolute");
    if (positions != "absolute")
      throw error(error_unsupported, config.file_name() + ": position_embedding_type '" + positions +
                                         "' is not supported (supported: absolute)");
    return c;
  }
};

struct bert_layer {
  bert_layer(const bert_config& c, const weights_prefix& w)
      : attention_block(attention::load(w.pp("attention"), {c.hidden_size, c.num_attention_heads, c.num_attention_heads,
                                                             c.hidden_size / c.num_attention_heads},
                                        {"self.query", "self.key", "self.value", "output.dense", true, true})),
        attention_norm(layer_norm::load(w.pp("attention.output.LayerNorm"), c.hidden_size, c.layer_norm_eps)),
        intermediate(linear::load(w.pp("intermediate.dense"), c.hidden_size, c.intermediate_size, true)),
        output(linear::load(w.pp("output.dense"), c.intermediate_size, c.hidden_size, true)),
        output_norm(layer_norm::load(w.pp("output.LayerNorm"), c.hidden_size, c.layer_norm_eps)) {}

  attention attention_block;  // attention.self.{query,key,value} and attention.output.dense
  layer_norm attention_norm;
  linear intermediate, output;
  layer_norm output_norm;
};

class bert_model : public encoder_model {
 public:
  bert_model(bert_config config, weights w, load_options options)
      : c_(config), weights_(std::move(w)), options_(std::move(options)), root_(root_prefix()),
        word_embeddings_(embedding::load(root_.pp("embeddings.word_embeddings"), c_.vocab_size, c_.hidden_size)),
        position_embeddings_(embedding::load(root_.pp("embeddings.position_embeddings"), c_.max_position_embeddings, c_.hidden_size)),
        token_type_embeddings_(embedding::load(root_.pp("embeddings.token_type_embeddings"), c_.type_vocab_size, c_.hidden_size)),
        embeddings_norm_(layer_norm::load(root_.pp("embeddings.LayerNorm"), c_.hidden_size, c_.layer_norm_eps)) {
    for (int64_t i = 0; i < c_.num_hidden_layers; ++i) layers_.emplace_back(c_, root_.pp("encoder.layer").pp(int(i)));
    if (root_.contains("pooler.dense.weight"))
      pooler_ = std::make_unique<linear>(linear::load(root_.pp("pooler.dense"), c_.hidden_size, c_.hidden_size, true));
    note_unused_tensors(weights_);
    if (!weights_.views_kept()) weights_.release_files();
  }

  int64_t hidden_size() const override { return c_.hidden_size; }
  int64_t max_positions() const override { return c_.max_position_embeddings; }

  int64_t n_layers() const override { return c_.num_hidden_layers; }

  encoder_pass forward_begin(const int32_t* ids, const int32_t* token_type_ids, const int32_t* mask, int64_t batch,
                             int64_t seq) const override {
    check_ids_shape(batch, seq);
    if (seq > c_.max_position_embeddings)
      throw error(error_bad_input, "input_ids: " + std::to_string(seq) + " tokens exceed max_position_embeddings (" +
                                       std::to_string(c_.max_position_embeddings) + "); truncate the input");
    const int64_t tokens = batch * seq, hidden = c_.hidden_size;
    encoder_pass pass;
    pass.batch = batch;
    pass.seq = seq;
    tensor& x = pass.x;  // (batch, seq, hidden)
    x.resize({batch, seq, hidden}, "the hidden states");

    // Embeddings: word + absolute position + token type, then LayerNorm.
    word_embeddings_.forward(ids, {batch, seq}, x);
    std::vector<int32_t> positions(static_cast<size_t>(tokens)), types(static_cast<size_t>(tokens), 0);  // (batch, seq)
    for (int64_t t = 0; t < tokens; ++t) positions[size_t(t)] = int32_t(t % seq);
    if (token_type_ids) types.assign(token_type_ids, token_type_ids + tokens);
    tensor& addend = pass.h;  // (batch, seq, hidden)
    position_embeddings_.forward(positions.data(), {batch, seq}, addend);
    x.add(addend);
    token_type_embeddings_.forward(types.data(), {batch, seq}, addend);
    x.add(addend);
    embeddings_norm_.forward(x, x);

    // Bidirectional self-attention, over the real tokens of each row when a mask marks padding.
    if (mask) {
      pass.visible.resize(static_cast<size_t>(tokens));
      for (int64_t t = 0; t < tokens; ++t) pass.visible[size_t(t)] = mask[t] != 0;
    }
    return pass;
  }

  // Post-LN residual blocks: x = LayerNorm(x + attention(x)); x = LayerNorm(x + output(act(intermediate(x)))).
  void forward_layer(encoder_pass& pass) const override {
    const bert_layer& layer = layers_[size_t(pass.next_layer++)];
    tensor& x = pass.x;
    const uint8_t* visible = pass.visible.empty() ? nullptr : pass.visible.data();
    const attention_mask_kind kind = visible ? attention_mask_kind::padding : attention_mask_kind::none;
    layer.attention_block.forward(x, x, kind, visible, nullptr, pass.attention, pass.h);
    x.add(pass.h);
    layer.attention_norm.forward(x, x);
    layer.intermediate.forward(x, pass.inner);
    activation_apply(c_.hidden_act, pass.inner.data(), pass.inner.numel());
    layer.output.forward(pass.inner, pass.h);
    x.add(pass.h);
    layer.output_norm.forward(x, x);
  }

  encoder_output forward_end(encoder_pass& pass) const override {
    const int64_t batch = pass.batch, seq = pass.seq, hidden = c_.hidden_size;
    encoder_output out;
    if (pooler_) {
      tensor& first = pass.h.resize({batch, hidden});  // (batch, hidden): each row's [CLS] state
      for (int64_t b = 0; b < batch; ++b) std::copy_n(pass.x.row(b * seq), hidden, first.row(b));
      pooler_->forward(first, out.pooler_output);
      for (float& v : out.pooler_output.values()) v = std::tanh(v);
    }
    out.last_hidden_state = std::move(pass.x);
    return out;
  }

 private:
  weights_prefix root_prefix() const {
    const weights_prefix plain(weights_, options_);
    return plain.contains("bert.embeddings.word_embeddings.weight") ? plain.pp("bert") : plain;
  }

  bert_config c_;
  weights weights_;
  load_options options_;
  weights_prefix root_;
  embedding word_embeddings_, position_embeddings_, token_type_embeddings_;
  layer_norm embeddings_norm_;
  std::vector<bert_layer> layers_;
  std::unique_ptr<linear> pooler_;
};

}  // namespace

std::unique_ptr<loaded_model> bert_load(const config_reader& config, weights w, const load_options& options) {
  return std::make_unique<bert_model>(bert_config::from_json(config), std::move(w), options);
}

activation_estimate bert_estimate(const config_reader& config, int64_t max_length) {
  const bert_config c = bert_config::from_json(config);
  const double length = double(estimate_length(max_length, c.max_position_embeddings));
  // One forward over `length` tokens: (length, ·) f32 hidden states, q/k/v/context and the
  // block outputs, the (length, intermediate) MLP, and one head's (length, length) scores.
  const double working = 4 * (length * (6 * double(c.hidden_size) + double(c.intermediate_size)) + length * length);
  return {int64_t(length), 0, working};
}

}  // namespace wax
