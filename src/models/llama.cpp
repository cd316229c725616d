#include "models/llama.h"

#include <cmath>

#include "core/error.h"
#include "core/sizes.h"
#include "ops/attention.h"
#include "ops/norm.h"
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
      : input_layernorm(load_vector(w.pp("input_layernorm"), "weight", c.hidden_size)),
        q_proj(linear::load(w.pp("self_attn").pp("q_proj"), c.hidden_size, c.num_attention_heads * c.head_dim, c.q_k_v_bias)),
        k_proj(linear::load(w.pp("self_attn").pp("k_proj"), c.hidden_size, c.num_key_value_heads * c.head_dim, c.q_k_v_bias)),
        v_proj(linear::load(w.pp("self_attn").pp("v_proj"), c.hidden_size, c.num_key_value_heads * c.head_dim, c.q_k_v_bias)),
        o_proj(linear::load(w.pp("self_attn").pp("o_proj"), c.num_attention_heads * c.head_dim, c.hidden_size, c.o_bias)),
        post_attention_layernorm(load_vector(w.pp("post_attention_layernorm"), "weight", c.hidden_size)),
        gate_proj(linear::load(w.pp("mlp").pp("gate_proj"), c.hidden_size, c.intermediate_size, c.mlp_bias)),
        up_proj(linear::load(w.pp("mlp").pp("up_proj"), c.hidden_size, c.intermediate_size, c.mlp_bias)),
        down_proj(linear::load(w.pp("mlp").pp("down_proj"), c.intermediate_size, c.hidden_size, c.mlp_bias)) {}

  std::vector<float> input_layernorm;  // (hidden,)
  linear q_proj, k_proj, v_proj, o_proj;
  std::vector<float> post_attention_layernorm;  // (hidden,)
  linear gate_proj, up_proj, down_proj;
};

class llama_model : public causal_lm {
 public:
  llama_model(llama_config config, weights w, load_options options)
      : c_(std::move(config)), weights_(std::move(w)), options_(std::move(options)), root_(weights_, options_),
        embed_tokens_(embedding::load(root_.pp("model").pp("embed_tokens"), c_.vocab_size, c_.hidden_size)),
        norm_(load_vector(root_.pp("model").pp("norm"), "weight", c_.hidden_size)),
        lm_head_(load_lm_head()) {
    const auto layers = root_.pp("model").pp("layers");
    for (int64_t i = 0; i < c_.num_hidden_layers; ++i) layers_.emplace_back(c_, layers.pp(int(i)));
    note_unused_tensors(weights_);
    if (!weights_.views_kept()) weights_.release_files();
  }

  int64_t vocab_size() const override { return c_.vocab_size; }
  size_t weight_bytes() const override {
    size_t total = weights_.weight_bytes() + embed_tokens_.table().owned_bytes() + norm_.size() * sizeof(float);
    if (!tied_) total += lm_head_.owned_bytes();
    for (const llama_layer& l : layers_) {
      total += (l.input_layernorm.size() + l.post_attention_layernorm.size()) * sizeof(float);
      for (const linear* p : {&l.q_proj, &l.k_proj, &l.v_proj, &l.o_proj, &l.gate_proj, &l.up_proj, &l.down_proj})
        total += p->owned_bytes();
    }
    return total;
  }
  kv_cache_shape cache_shape() const override { return {c_.num_hidden_layers, c_.num_key_value_heads, c_.head_dim}; }

  int64_t n_layers() const override { return c_.num_hidden_layers; }
  int64_t max_position_embeddings() const override { return c_.max_position_embeddings; }
  size_t scratch_bytes() const override { return scratch_.bytes(); }

  forward_pass forward_begin(const int32_t* ids, const int32_t* mask, int64_t batch, int64_t n_new,
                             kv_cache& cache) const override {
    check_ids_shape(batch, n_new);
    forward_pass pass;
    pass.batch = batch;
    pass.n_new = n_new;
    pass.x.resize(checked_elements({batch, n_new, c_.hidden_size}, sizeof(float), "the hidden states"));
    pass.start = cache.length();
    pass.positions = cache.append(mask, n_new);
    embed_tokens_.forward(ids, batch * n_new, pass.x.data());
    return pass;
  }

  void forward_layer(forward_pass& pass, kv_cache& cache) const override {
    decoder_layer(layers_[size_t(pass.next_layer)], pass.next_layer, pass, cache);
    ++pass.next_layer;
  }

  void forward_end(forward_pass& pass, logits_for which, float* logits) const override {
    const int64_t tokens = pass.batch * pass.n_new;
    std::vector<float>& x = pass.x;
    rms_norm(x.data(), tokens, c_.hidden_size, norm_.data(), float(c_.rms_norm_eps), x.data());
    if (which == logits_for::all_positions) {
      lm_head_.forward(x.data(), tokens, logits);
      return;
    }
    std::vector<float>& last = scratch_.sized(scratch_.h, pass.batch, c_.hidden_size);  // (batch, hidden)
    for (int64_t b = 0; b < pass.batch; ++b)
      std::copy_n(x.begin() + ((b + 1) * pass.n_new - 1) * c_.hidden_size, c_.hidden_size, last.begin() + b * c_.hidden_size);
    lm_head_.forward(last.data(), pass.batch, logits);
  }

 private:
  linear load_lm_head() {
    tied_ = c_.tie_word_embeddings && !root_.contains("lm_head.weight");
    if (tied_) return linear::from_matrix(embed_tokens_.table());
    return linear::load(root_.pp("lm_head"), c_.hidden_size, c_.vocab_size, false);
  }

  void decoder_layer(const llama_layer& layer, int64_t index, forward_pass& pass, kv_cache& cache) const {
    const int64_t batch = pass.batch, n_new = pass.n_new, start = pass.start;
    const std::vector<int64_t>& positions = pass.positions;
    std::vector<float>& x = pass.x;
    const int64_t tokens = batch * n_new;
    const int64_t q_dim = c_.num_attention_heads * c_.head_dim;
    const int64_t kv_dim = c_.num_key_value_heads * c_.head_dim;
    std::vector<float>& h = scratch_.sized(scratch_.h, tokens, c_.hidden_size);     // (tokens, hidden)
    std::vector<float>& q = scratch_.sized(scratch_.q, tokens, q_dim);              // (tokens, heads, head_dim)
    std::vector<float>& k = scratch_.sized(scratch_.k, tokens, kv_dim);             // (tokens, kv_heads, head_dim)
    std::vector<float>& v = scratch_.sized(scratch_.v, tokens, kv_dim);
    std::vector<float>& attended = scratch_.sized(scratch_.attended, tokens, q_dim);  // (tokens, heads, head_dim)

    // Self-attention block: x += o_proj(attention(rope(q), rope(k), v)) on the normed stream.
    rms_norm(x.data(), tokens, c_.hidden_size, layer.input_layernorm.data(), float(c_.rms_norm_eps), h.data());
    layer.q_proj.forward(h.data(), tokens, q.data());
    layer.k_proj.forward(h.data(), tokens, k.data());
    layer.v_proj.forward(h.data(), tokens, v.data());
    rope_apply(q.data(), tokens, c_.num_attention_heads, c_.head_dim, positions.data(), c_.rope_inv_freq, c_.rope_attention_scaling);
    rope_apply(k.data(), tokens, c_.num_key_value_heads, c_.head_dim, positions.data(), c_.rope_inv_freq, c_.rope_attention_scaling);

    const attention_shape shape{c_.num_attention_heads, c_.num_key_value_heads, c_.head_dim, cache.capacity()};
    std::vector<int64_t> query_slots(static_cast<size_t>(n_new));
    for (int64_t t = 0; t < n_new; ++t) query_slots[size_t(t)] = start + t;
    for (int64_t b = 0; b < batch; ++b) {
      float* keys = cache.keys(index, b);      // (kv_heads, capacity, head_dim)
      float* values = cache.values(index, b);
      for (int64_t t = 0; t < n_new; ++t)
        for (int64_t g = 0; g < c_.num_key_value_heads; ++g) {
          const int64_t from = ((b * n_new + t) * c_.num_key_value_heads + g) * c_.head_dim;
          const int64_t to = (g * cache.capacity() + start + t) * c_.head_dim;
          std::copy_n(k.begin() + from, c_.head_dim, keys + to);
          std::copy_n(v.begin() + from, c_.head_dim, values + to);
        }
      attention(q.data() + b * n_new * q_dim, n_new, keys, values, start + n_new, shape, cache.visible(b),
                query_slots.data(), c_.sliding_window, 1.0f / std::sqrt(float(c_.head_dim)), attended.data() + b * n_new * q_dim);
    }
    layer.o_proj.forward(attended.data(), tokens, h.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += h[i];

    // MLP block: x += down_proj(act(gate_proj(h)) · up_proj(h)) on the normed stream.
    rms_norm(x.data(), tokens, c_.hidden_size, layer.post_attention_layernorm.data(), float(c_.rms_norm_eps), h.data());
    std::vector<float>& gate = scratch_.sized(scratch_.gate, tokens, c_.intermediate_size);  // (tokens, intermediate)
    std::vector<float>& up = scratch_.sized(scratch_.up, tokens, c_.intermediate_size);
    layer.gate_proj.forward(h.data(), tokens, gate.data());
    layer.up_proj.forward(h.data(), tokens, up.data());
    gated_activation(c_.hidden_act, gate.data(), up.data(), int64_t(gate.size()));
    layer.down_proj.forward(gate.data(), tokens, h.data());
    for (size_t i = 0; i < x.size(); ++i) x[i] += h[i];
  }

  // Working buffers, grown to the largest pass seen and reused by every later one (steps never
  // overlap: a model runs one layer at a time).
  struct scratch_buffers {
    std::vector<float> h, q, k, v, attended, gate, up;
    std::vector<float>& sized(std::vector<float>& buffer, int64_t tokens, int64_t width) {
      buffer.resize(checked_elements({tokens, width}, sizeof(float), "a working buffer"));
      return buffer;
    }
    size_t bytes() const {
      size_t total = 0;
      for (const auto* b : {&h, &q, &k, &v, &attended, &gate, &up}) total += b->capacity() * sizeof(float);
      return total;
    }
  };
  mutable scratch_buffers scratch_;

  llama_config c_;
  weights weights_;
  load_options options_;
  weights_prefix root_;
  bool tied_ = false;
  embedding embed_tokens_;
  std::vector<float> norm_;  // (hidden,)
  linear lm_head_;
  std::vector<llama_layer> layers_;
};

}  // namespace

std::unique_ptr<causal_lm> llama_load(const config_reader& config, weights w, const load_options& options) {
  return std::make_unique<llama_model>(llama_config::from_json(config), std::move(w), options);
}

}  // namespace wax
