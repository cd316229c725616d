#include "models/bert.h"

#include <cmath>

#include "core/error.h"
#include "core/sizes.h"
#include "io/config.h"
#include "nn/linear.h"
#include "ops/activations.h"
#include "ops/attention.h"
#include "ops/norm.h"

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

struct layer_norm_params {
  layer_norm_params(const weights_prefix& w, int64_t dim)
      : weight(load_vector(w, "weight", dim)), bias(load_vector(w, "bias", dim)) {}
  void forward(float* x, int64_t rows, float eps) const {
    layer_norm(x, rows, int64_t(weight.size()), weight.data(), bias.data(), eps, x);
  }
  std::vector<float> weight, bias;  // (dim,)
};

struct bert_layer {
  bert_layer(const bert_config& c, const weights_prefix& w)
      : query(linear::load(w.pp("attention.self.query"), c.hidden_size, c.hidden_size, true)),
        key(linear::load(w.pp("attention.self.key"), c.hidden_size, c.hidden_size, true)),
        value(linear::load(w.pp("attention.self.value"), c.hidden_size, c.hidden_size, true)),
        attention_output(linear::load(w.pp("attention.output.dense"), c.hidden_size, c.hidden_size, true)),
        attention_norm(w.pp("attention.output.LayerNorm"), c.hidden_size),
        intermediate(linear::load(w.pp("intermediate.dense"), c.hidden_size, c.intermediate_size, true)),
        output(linear::load(w.pp("output.dense"), c.intermediate_size, c.hidden_size, true)),
        output_norm(w.pp("output.LayerNorm"), c.hidden_size) {}

  linear query, key, value, attention_output;
  layer_norm_params attention_norm;
  linear intermediate, output;
  layer_norm_params output_norm;
};

class bert_model : public encoder_model {
 public:
  bert_model(bert_config config, weights w, load_options options)
      : c_(config), weights_(std::move(w)), options_(std::move(options)), root_(root_prefix()),
        word_embeddings_(embedding::load(root_.pp("embeddings.word_embeddings"), c_.vocab_size, c_.hidden_size)),
        position_embeddings_(embedding::load(root_.pp("embeddings.position_embeddings"), c_.max_position_embeddings, c_.hidden_size)),
        token_type_embeddings_(embedding::load(root_.pp("embeddings.token_type_embeddings"), c_.type_vocab_size, c_.hidden_size)),
        embeddings_norm_(root_.pp("embeddings.LayerNorm"), c_.hidden_size) {
    for (int64_t i = 0; i < c_.num_hidden_layers; ++i) layers_.emplace_back(c_, root_.pp("encoder.layer").pp(int(i)));
    if (root_.contains("pooler.dense.weight"))
      pooler_ = std::make_unique<linear>(linear::load(root_.pp("pooler.dense"), c_.hidden_size, c_.hidden_size, true));
    note_unused_tensors(weights_);
    if (!weights_.views_kept()) weights_.release_files();
  }

  int64_t hidden_size() const override { return c_.hidden_size; }
  int64_t max_positions() const override { return c_.max_position_embeddings; }

  encoder_output forward(const int32_t* ids, const int32_t* token_type_ids, const int32_t* mask, int64_t batch,
                         int64_t seq) const override {
    check_ids_shape(batch, seq);
    if (seq > c_.max_position_embeddings)
      throw error(error_bad_input, "input_ids: " + std::to_string(seq) + " tokens exceed max_position_embeddings (" +
                                       std::to_string(c_.max_position_embeddings) + "); truncate the input");
    const int64_t tokens = batch * seq, hidden = c_.hidden_size;
    encoder_output out;
    std::vector<float>& x = out.last_hidden_state;  // (batch · seq, hidden)
    x.resize(checked_elements({batch, seq, hidden}, sizeof(float), "the hidden states"));

    // Embeddings: word + absolute position + token type, then LayerNorm.
    word_embeddings_.forward(ids, tokens, x.data());
    std::vector<int32_t> positions(static_cast<size_t>(tokens)), types(static_cast<size_t>(tokens), 0);
    for (int64_t t = 0; t < tokens; ++t) positions[size_t(t)] = int32_t(t % seq);
    if (token_type_ids) types.assign(token_type_ids, token_type_ids + tokens);
    std::vector<float> addend(x.size());
    position_embeddings_.forward(positions.data(), tokens, addend.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += addend[i];
    token_type_embeddings_.forward(types.data(), tokens, addend.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += addend[i];
    embeddings_norm_.forward(x.data(), tokens, float(c_.layer_norm_eps));

    std::vector<uint8_t> visible(static_cast<size_t>(tokens), 1);  // (batch, seq): keys a query may attend to
    if (mask)
      for (int64_t t = 0; t < tokens; ++t) visible[size_t(t)] = mask[t] != 0;
    for (const bert_layer& layer : layers_) encoder_layer(layer, x, visible, batch, seq);

    if (pooler_) {
      std::vector<float> first(static_cast<size_t>(batch * hidden));  // (batch, hidden): each row's [CLS] state
      for (int64_t b = 0; b < batch; ++b) std::copy_n(x.begin() + b * seq * hidden, hidden, first.begin() + b * hidden);
      out.pooler_output.resize(first.size());
      pooler_->forward(first.data(), batch, out.pooler_output.data());
      for (float& v : out.pooler_output) v = std::tanh(v);
    }
    return out;
  }

 private:
  weights_prefix root_prefix() const {
    const weights_prefix plain(weights_, options_);
    return plain.contains("bert.embeddings.word_embeddings.weight") ? plain.pp("bert") : plain;
  }

  void encoder_layer(const bert_layer& layer, std::vector<float>& x, const std::vector<uint8_t>& visible, int64_t batch,
                     int64_t seq) const {
    const int64_t tokens = batch * seq, hidden = c_.hidden_size;
    const int64_t heads = c_.num_attention_heads, head_dim = hidden / heads;
    std::vector<float> q(x.size()), k(x.size()), v(x.size()), context(x.size());  // (tokens, heads, head_dim)
    layer.query.forward(x.data(), tokens, q.data());
    layer.key.forward(x.data(), tokens, k.data());
    layer.value.forward(x.data(), tokens, v.data());

    // Bidirectional: every query sees every unmasked key of its row, so each query sits at the
    // last slot. Keys and values go to (heads, seq, head_dim) per row, as the attention op reads.
    const attention_shape shape{heads, heads, head_dim, seq};
    const std::vector<int64_t> query_slots(static_cast<size_t>(seq), seq - 1);
    std::vector<float> keys(static_cast<size_t>(seq * hidden)), values(keys.size());
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t t = 0; t < seq; ++t)
        for (int64_t h = 0; h < heads; ++h) {
          const int64_t from = ((b * seq + t) * heads + h) * head_dim, to = (h * seq + t) * head_dim;
          std::copy_n(k.begin() + from, head_dim, keys.begin() + to);
          std::copy_n(v.begin() + from, head_dim, values.begin() + to);
        }
      attention(q.data() + b * seq * hidden, seq, keys.data(), values.data(), seq, shape, visible.data() + b * seq,
                query_slots.data(), 0, 1.0f / std::sqrt(float(head_dim)), context.data() + b * seq * hidden);
    }

    // Post-LN residual blocks: x = LayerNorm(x + dense(context)); x = LayerNorm(x + output(act(intermediate(x)))).
    layer.attention_output.forward(context.data(), tokens, q.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += q[i];
    layer.attention_norm.forward(x.data(), tokens, float(c_.layer_norm_eps));
    std::vector<float> inner(checked_elements({tokens, c_.intermediate_size}, sizeof(float), "a working buffer"));  // (tokens, intermediate)
    layer.intermediate.forward(x.data(), tokens, inner.data());
    activation_apply(c_.hidden_act, inner.data(), int64_t(inner.size()));
    layer.output.forward(inner.data(), tokens, q.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += q[i];
    layer.output_norm.forward(x.data(), tokens, float(c_.layer_norm_eps));
  }

  bert_config c_;
  weights weights_;
  load_options options_;
  weights_prefix root_;
  embedding word_embeddings_, position_embeddings_, token_type_embeddings_;
  layer_norm_params embeddings_norm_;
  std::vector<bert_layer> layers_;
  std::unique_ptr<linear> pooler_;
};

}  // namespace

std::unique_ptr<encoder_model> encoder_load(std::string_view config_json, weights w, const load_options& options) {
  const json config = config_parse(config_json, "config.json");
  const config_reader reader(config, "config.json");
  const auto model_type = reader.optional_string("model_type");
  if (!model_type) reader.fail("model_type", "a string such as \"bert\"");
  if (*model_type == "bert") return std::make_unique<bert_model>(bert_config::from_json(reader), std::move(w), options);
  throw error(error_unsupported, "config.json: model_type '" + *model_type +
                                     "' is not supported for encoders (supported: bert)");
}

}  // namespace wax
