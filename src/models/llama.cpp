#include "models/llama.h"

#include <cmath>

#include "core/error.h"
#include "core/sizes.h"
#include "nn/attention.h"
#include "nn/norm.h"
#include "ops/rope.h"

namespace wax {
namespace {

void read_rope_scaling(const config_reader& config, llama_config& c) {
  c.rope_inv_freq = rope_inv_freq_default(c.head_dim, c.rope_theta);
  auto scaling = config.optional_object("rope_scaling");
  if (!scaling) return;
  std::string type = scaling->optional_string("rope_type").value_or(scaling->string("type", "default"));
  if (type == "default") return;
  const double factor = scaling->positive_number("factor", 1.0);
  if (type == "linear") {
    for (float& frequency : c.rope_inv_freq) frequency = float(frequency / factor);
  } else if (type == "llama3") {
    rope_scale_llama3(c.rope_inv_freq, factor, scaling->positive_number("low_freq_factor", 1.0),
                      scaling->positive_number("high_freq_factor", 4.0),
                      double(scaling->positive_int("original_max_position_embeddings", 8192)));
  } else {
    throw error(error_unsupported, config.file_name() + ": rope_scaling type '" + type +
                                       "' is not supported (supported: default, linear, llama3)");
  }
}

}  // namespace

llama_config llama_config::from_json(const config_reader& config) {
  llama_config c;
  c.model_type = config.string("model_type", "llama");
  c.vocab_size = config.dimension("vocab_size");
  c.hidden_size = config.dimension("hidden_size");
  c.intermediate_size = config.dimension("intermediate_size");
  c.num_hidden_layers = config.dimension("num_hidden_layers");
  c.num_attention_heads = config.dimension("num_attention_heads");
  c.num_key_value_heads = config.dimension("num_key_value_heads", c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    config.fail("num_key_value_heads", "a divisor of num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
  if (!config.optional_int("head_dim") && c.hidden_size % c.num_attention_heads != 0)
    config.fail("hidden_size", "a multiple of num_attention_heads when head_dim is absent");
  c.head_dim = config.dimension("head_dim", c.hidden_size / c.num_attention_heads);
  if (c.head_dim % 2 != 0) config.fail("head_dim", "an even number (rotary embeddings pair dimensions)");
  c.max_position_embeddings = config.dimension("max_position_embeddings", 2048);  // transformers' LlamaConfig default
  c.rms_norm_eps = config.positive_number("rms_norm_eps", 1e-6);
  c.rope_theta = config.positive_number("rope_theta", 10000.0);
  read_rope_scaling(config, c);

  const std::string act = config.string("hidden_act", "silu");
  auto kind = activation_from_name(act);
  if (!kind) config.fail("hidden_act", "one of silu, gelu, gelu_pytorch_tanh, relu");
  c.hidden_act = *kind;

  const bool qwen2 = c.model_type == "qwen2";
  const bool attention_bias = config.boolean("attention_bias", false);
  c.q_k_v_bias = qwen2 || attention_bias;
  c.o_bias = !qwen2 && attention_bias;
  c.mlp_bias = config.boolean("mlp_bias", false);
  c.tie_word_embeddings = config.boolean("tie_word_embeddings", false);
  const bool windowed = qwen2 ? config.boolean("use_sliding_window", false) : c.model_type == "mistral";
  c.sliding_window = windowed ? config.optional_int("sliding_window").value_or(0) : 0;
  return c;
}

namespace {

class llama_layer {
 public:
  llama_layer(const llama_config& c, const weights_prefix& w)
      : input_layernorm(rms_norm::load(w.pp("input_layernorm"), c.hidden_size, c.rms_norm_eps)),
        self_attn(attention::load(w.pp("self_attn"), {c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim},
                                  {"q_proj", "k_proj", "v_proj", "o_proj", c.q_k_v_bias, c.o_bias}, c.rope_inv_freq,
                                  c.rope_attention_scaling)),
        post_attention_layernorm(rms_norm::load(w.pp("post_attention_layernorm"), c.hidden_size, c.rms_norm_eps)),
        gate_proj(linear::load(w.pp("mlp").pp("gate_proj"), c.hidden_size, c.intermediate_size, c.mlp_bias)),
        up_proj(linear::load(w.pp("mlp").pp("up_proj"), c.hidden_size, c.intermediate_size, c.mlp_bias)),
        down_proj(linear::load(w.pp("mlp").pp("down_proj"), c.intermediate_size, c.hidden_size, c.mlp_bias)) {}

  size_t owned_bytes() const {
    return input_layernorm.owned_bytes() + self_attn.owned_bytes() + post_attention_layernorm.owned_bytes() +
           gate_proj.owned_bytes() + up_proj.owned_bytes() + down_proj.owned_bytes();
  }

  rms_norm input_layernorm;
  attention self_attn;
  rms_norm post_attention_layernorm;
  linear gate_proj, up_proj, down_proj;
};

class llama_model : public causal_lm {
 public:
  llama_model(llama_config config, weights w, load_options options)
      : c_(std::move(config)), weights_(std::move(w)), options_(std::move(options)), root_(weights_, options_),
        embed_tokens_(embedding::load(root_.pp("model").pp("embed_tokens"), c_.vocab_size, c_.hidden_size)),
        norm_(rms_norm::load(root_.pp("model").pp("norm"), c_.hidden_size, c_.rms_norm_eps)),
        lm_head_(load_lm_head()) {
    const auto layers = root_.pp("model").pp("layers");
    for (int64_t i = 0; i < c_.num_hidden_layers; ++i) layers_.emplace_back(c_, layers.pp(int(i)));
    note_unused_tensors(weights_);
    if (!weights_.views_kept()) weights_.release_files();
  }

  int64_t vocab_size() const override { return c_.vocab_size; }
  size_t weight_bytes() const override {
    size_t total = weights_.weight_bytes() + embed_tokens_.table().owned_bytes() + norm_.owned_bytes();
    if (!tied_) total += lm_head_.owned_bytes();
    for (const llama_layer& l : layers_) total += l.owned_bytes();
    return total;
  }
  kv_cache_shape cache_shape() const override { return {c_.num_hidden_layers, c_.num_key_value_heads, c_.head_dim}; }

  int64_t n_layers() const override { return c_.num_hidden_layers; }
  int64_t max_position_embeddings() const override { return c_.max_position_embeddings; }
  size_t scratch_bytes() const override {
    return attention_buffers_.bytes() + h_.capacity_bytes() + gate_.capacity_bytes() + up_.capacity_bytes();
  }

  forward_pass forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                             kv_cache& cache) const override {
    check_ids_shape(batch, n_new);
    forward_pass pass;
    pass.batch = batch;
    pass.n_new = n_new;
    pass.x.resize({batch, n_new, c_.hidden_size}, "the hidden states");  // before the cache changes
    pass.start = cache.length();
    pass.positions = cache.append(mask, n_new);
    embed_tokens_.forward(ids, {batch, n_new}, pass.x);
    return pass;
  }

  void forward_layer(forward_pass& pass, kv_cache& cache) const override {
    decoder_layer(layers_[size_t(pass.next_layer)], pass.next_layer, pass, cache);
    ++pass.next_layer;
  }

  void forward_end(forward_pass& pass, logits_for which, float* logits) const override {
    norm_.forward(pass.x, pass.x);
    decoder_logits(lm_head_, pass, which, h_, logits);
  }

 private:
  linear load_lm_head() {
    tied_ = c_.tie_word_embeddings && !root_.contains("lm_head.weight");
    if (tied_) return linear::from_matrix(embed_tokens_.table());
    return linear::load(root_.pp("lm_head"), c_.hidden_size, c_.vocab_size, false);
  }

  void decoder_layer(const llama_layer& layer, int64_t index, forward_pass& pass, kv_cache& cache) const {
    tensor& x = pass.x;  // (batch, n_new, hidden)

    // Self-attention block: x += o_proj(attention(rope(q), rope(k), v)) on the normed stream.
    layer.input_layernorm.forward(x, h_);
    layer.self_attn.forward_cached(h_, pass.positions.data(), cache, index, pass.start, c_.sliding_window,
                                   attention_buffers_, h_);
    x.add(h_);

    // MLP block: x += down_proj(act(gate_proj(h)) · up_proj(h)) on the normed stream.
    layer.post_attention_layernorm.forward(x, h_);
    layer.gate_proj.forward(h_, gate_);
    layer.up_proj.forward(h_, up_);
    gated_activation(c_.hidden_act, gate_.data(), up_.data(), gate_.numel());
    layer.down_proj.forward(gate_, h_);
    x.add(h_);
  }

  // Working buffers, grown to the largest pass seen and reused by every later one (steps never
  // overlap: a model runs one layer at a time).
  mutable attention_buffers attention_buffers_;
  mutable tensor h_;            // (batch, n_new, hidden): the normed stream, then each block's output
  mutable tensor gate_, up_;    // (batch, n_new, intermediate)

  llama_config c_;
  weights weights_;
  load_options options_;
  weights_prefix root_;
  bool tied_ = false;
  embedding embed_tokens_;
  rms_norm norm_;
  linear lm_head_;
  std::vector<llama_layer> layers_;
};

}  // namespace

std::unique_ptr<loaded_model> llama_load(const config_reader& config, weights w, const load_options& options) {
  return std::make_unique<llama_model>(llama_config::from_json(config), std::move(w), options);
}

activation_estimate llama_estimate(const config_reader& config, int64_t max_length) {
  const llama_config c = llama_config::from_json(config);
  const double length = double(estimate_length(max_length, c.max_position_embeddings));
  const double q_dim = double(c.num_attention_heads * c.head_dim), kv_dim = double(c.num_key_value_heads * c.head_dim);
  // The f32 cache: keys and values, (layers, kv_heads, length, head_dim) each.
  const double kv_cache = 2 * double(c.num_hidden_layers) * kv_dim * 4 * length;
  // One pass over `length` positions: (length, ·) f32 activations, one head's (length, length)
  // scores and (length, vocab) logits.
  const double working = 4 * (length * (3 * double(c.hidden_size) + q_dim + 2 * kv_dim + 2 * double(c.intermediate_size) +
                                        double(c.vocab_size)) + length * length);
  return {int64_t(length), kv_cache, working};
}

}  // namespace wax
