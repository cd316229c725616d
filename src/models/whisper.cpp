#include "models/whisper.h"

#include <cmath>

#include "core/error.h"
#include "core/sizes.h"
#include "models/seq2seq.h"
#include "nn/attention.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"

namespace wax {

whisper_config whisper_config::from_json(const config_reader& config) {
  whisper_config c;
  c.vocab_size = config.dimension("vocab_size", 51865);
  c.num_mel_bins = config.dimension("num_mel_bins", 80);
  c.d_model = config.dimension("d_model", 384);
  c.encoder_layers = config.dimension("encoder_layers", 4);
  c.encoder_attention_heads = config.dimension("encoder_attention_heads", 6);
  c.encoder_ffn_dim = config.dimension("encoder_ffn_dim", 1536);
  c.decoder_layers = config.dimension("decoder_layers", 4);
  c.decoder_attention_heads = config.dimension("decoder_attention_heads", 6);
  c.decoder_ffn_dim = config.dimension("decoder_ffn_dim", 1536);
  for (const char* heads : {"encoder_attention_heads", "decoder_attention_heads"})
    if (c.d_model % config.dimension(heads) != 0) config.fail("d_model", std::string("a multiple of ") + heads);
  c.max_source_positions = config.dimension("max_source_positions", 1500);
  c.max_target_positions = config.dimension("max_target_positions", 448);
  const int64_t start = config.optional_int("decoder_start_token_id").value_or(50257);
  if (start < 0 || start >= c.vocab_size) config.fail("decoder_start_token_id", "a token id below vocab_size");
  c.decoder_start_token_id = int32_t(start);
  const auto kind = activation_from_name(config.string("activation_function", "gelu"));
  if (!kind) config.fail("activation_function", "one of gelu, gelu_new, relu, silu");
  c.activation_function = *kind;
  c.scale_embedding = config.boolean("scale_embedding", false);
  return c;
}

namespace {

constexpr double layer_norm_eps = 1e-5;  // torch.nn.LayerNorm's default, which Whisper keeps

// A (rows, d_model) table the model adds to the stream as stored: embed_positions, always f32.
std::vector<float> load_table(const weights_prefix& w, int64_t rows, int64_t cols) {
  const weight_view view = w.get("weight", {rows, cols});
  std::vector<float> table(static_cast<size_t>(rows * cols));  // (rows, cols)
  tensor_to_f32(view, 0, rows * cols, table.data());
  return table;
}

attention load_attention(const weights_prefix& w, int64_t d_model, int64_t heads) {
  return attention::load(w, {d_model, heads, heads, d_model / heads}, {"q_proj", "k_proj", "v_proj", "out_proj", true, true, true});
}

// The feed-forward block of both stacks: x += fc2(act(fc1(final_layer_norm(x)))).
struct feed_forward {
  feed_forward(const weights_prefix& w, int64_t d_model, int64_t ffn_dim)
      : final_layer_norm(layer_norm::load(w.pp("final_layer_norm"), d_model, layer_norm_eps)),
        fc1(linear::load(w.pp("fc1"), d_model, ffn_dim, true)),
        fc2(linear::load(w.pp("fc2"), ffn_dim, d_model, true)) {}

  // x (batch, n, d_model); h (batch, n, d_model) and inner (batch, n, ffn_dim) are scratch.
  void forward(tensor& x, activation act, tensor& h, tensor& inner) const {
    final_layer_norm.forward(x, h);
    fc1.forward(h, inner);
    activation_apply(act, inner.data(), inner.numel());
    fc2.forward(inner, h);
    x.add(h);
  }

  layer_norm final_layer_norm;
  linear fc1, fc2;
};

struct whisper_encoder_layer {
  whisper_encoder_layer(const whisper_config& c, const weights_prefix& w)
      : self_attn_layer_norm(layer_norm::load(w.pp("self_attn_layer_norm"), c.d_model, layer_norm_eps)),
        self_attn(load_attention(w.pp("self_attn"), c.d_model, c.encoder_attention_heads)),
        mlp(w, c.d_model, c.encoder_ffn_dim) {}

  layer_norm self_attn_layer_norm;
  attention self_attn;
  feed_forward mlp;  // final_layer_norm, fc1, fc2
};

struct whisper_decoder_layer {
  whisper_decoder_layer(const whisper_config& c, const weights_prefix& w)
      : self_attn_layer_norm(layer_norm::load(w.pp("self_attn_layer_norm"), c.d_model, layer_norm_eps)),
        self_attn(load_attention(w.pp("self_attn"), c.d_model, c.decoder_attention_heads)),
        encoder_attn_layer_norm(layer_norm::load(w.pp("encoder_attn_layer_norm"), c.d_model, layer_norm_eps)),
        encoder_attn(load_attention(w.pp("encoder_attn"), c.d_model, c.decoder_attention_heads)),
        mlp(w, c.d_model, c.decoder_ffn_dim) {}

  layer_norm self_attn_layer_norm;
  attention self_attn;
  layer_norm encoder_attn_layer_norm;
  attention encoder_attn;  // cross-attention: keys and values from the encoder output
  feed_forward mlp;
};

class whisper_model : public seq2seq_model {
 public:
  whisper_model(whisper_config config, weights w, load_options options)
      : c_(config), weights_(std::move(w)), options_(std::move(options)), root_(weights_, options_),
        encoder_(root_.pp("model").pp("encoder")), decoder_(root_.pp("model").pp("decoder")),
        conv1_(conv1d_layer::load(encoder_.pp("conv1"), {c_.num_mel_bins, c_.d_model, 3, 1, 1})),
        conv2_(conv1d_layer::load(encoder_.pp("conv2"), {c_.d_model, c_.d_model, 3, 2, 1})),
        encoder_positions_(load_table(encoder_.pp("embed_positions"), c_.max_source_positions, c_.d_model)),
        encoder_layer_norm_(layer_norm::load(encoder_.pp("layer_norm"), c_.d_model, layer_norm_eps)),
        embed_tokens_(embedding::load(decoder_.pp("embed_tokens"), c_.vocab_size, c_.d_model)),
        decoder_positions_(load_table(decoder_.pp("embed_positions"), c_.max_target_positions, c_.d_model)),
        decoder_layer_norm_(layer_norm::load(decoder_.pp("layer_norm"), c_.d_model, layer_norm_eps)),
        proj_out_(root_.contains("proj_out.weight") ? linear::load(root_.pp("proj_out"), c_.d_model, c_.vocab_size, false)
                                                    : linear::from_matrix(embed_tokens_.table())) {
    for (int64_t i = 0; i < c_.encoder_layers; ++i) encoder_layers_.emplace_back(c_, encoder_.pp("layers").pp(int(i)));
    for (int64_t i = 0; i < c_.decoder_layers; ++i) decoder_layers_.emplace_back(c_, decoder_.pp("layers").pp(int(i)));
    note_unused_tensors(weights_);
    if (!weights_.views_kept()) weights_.release_files();
  }

  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t d_model() const override { return c_.d_model; }
  int64_t n_encoder_layers() const override { return c_.encoder_layers; }
  int64_t n_decoder_layers() const override { return c_.decoder_layers; }
  int64_t n_source_positions() const override { return c_.max_source_positions; }
  int64_t max_target_positions() const override { return c_.max_target_positions; }
  int32_t decoder_start_token_id() const override { return c_.decoder_start_token_id; }
  kv_cache_shape decoder_cache_shape() const override {
    return {c_.decoder_layers, c_.decoder_attention_heads, c_.d_model / c_.decoder_attention_heads};
  }

  // The stem's two convolutions take 2 · max_source_positions frames to max_source_positions.
  void check_input_features(const shape_t& dims) const override {
    const int64_t frames = 2 * c_.max_source_positions;
    if (dims.size() != 3 || dims[0] < 1 || dims[1] != c_.num_mel_bins || dims[2] != frames)
      throw error(error_bad_input, "input_features: expected dims (batch, " + std::to_string(c_.num_mel_bins) + ", " +
                                       std::to_string(frames) + ") (num_mel_bins, and 2 · max_source_positions frames: " +
                                       "pad or trim the audio to " + std::to_string(frames) + " frames), got " +
                                       shape_to_string(dims));
  }

  // Encoder, Radford et al. fig. 1: x = GELU(conv2(GELU(conv1(mel)))) + positions.
  encoder_pass encoder_begin(const float* input_features, int64_t batch) const override {
    const int64_t mels = c_.num_mel_bins, frames = 2 * c_.max_source_positions, positions = c_.max_source_positions;
    encoder_pass pass;
    pass.batch = batch;
    pass.seq = positions;
    tensor& by_frame = pass.h.resize({batch, frames, mels}, "the input features");  // (batch, frames, mels)
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t m = 0; m < mels; ++m)
        for (int64_t t = 0; t < frames; ++t) by_frame.data()[(b * frames + t) * mels + m] = input_features[(b * mels + m) * frames + t];
    tensor& stem = pass.inner;  // (batch, frames, d_model)
    conv1_.forward(by_frame, stem);
    activation_apply(c_.activation_function, stem.data(), stem.numel());
    tensor& x = pass.x;  // (batch, positions, d_model)
    conv2_.forward(stem, x);
    activation_apply(c_.activation_function, x.data(), x.numel());
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < positions * c_.d_model; ++i) x.row(b * positions)[i] += encoder_positions_[size_t(i)];
    return pass;
  }

  // Pre-LN residual blocks: x += self_attn(LN(x)); x += fc2(act(fc1(LN(x)))).
  void encoder_layer(encoder_pass& pass) const override {
    const whisper_encoder_layer& layer = encoder_layers_[size_t(pass.next_layer++)];
    tensor &x = pass.x, &h = pass.h;
    layer.self_attn_layer_norm.forward(x, h);
    layer.self_attn.forward(h, h, attention_mask_kind::none, nullptr, nullptr, pass.attention, h);
    x.add(h);
    layer.mlp.forward(x, c_.activation_function, h, pass.inner);
  }

  tensor encoder_end(encoder_pass& pass) const override {
    encoder_layer_norm_.forward(pass.x, pass.x);
    return std::move(pass.x);
  }

  void cross_cache_layer(const tensor& encoder_hidden_states, kv_cache& cross, int64_t layer) const override {
    decoder_layers_[size_t(layer)].encoder_attn.cache_keys_values(encoder_hidden_states, cross, layer, attention_buffers_);
  }

  // Decoder: token embeddings (· sqrt(d_model) when scale_embedding) + learned positions.
  forward_pass decoder_begin(const int32_t* ids, int64_t batch, int64_t n_new, kv_cache& cache) const override {
    check_ids_shape(batch, n_new);
    if (cache.length() + n_new > c_.max_target_positions)
      throw error(error_bad_input, "decoder_input_ids: " + std::to_string(cache.length() + n_new) +
                                       " positions exceed max_target_positions (" + std::to_string(c_.max_target_positions) + ")");
    forward_pass pass;
    pass.batch = batch;
    pass.n_new = n_new;
    tensor& x = pass.x.resize({batch, n_new, c_.d_model}, "the hidden states");  // before the cache changes
    pass.start = cache.length();
    pass.positions = cache.append(nullptr, n_new);
    embed_tokens_.forward(ids, {batch, n_new}, x);
    const float scale = c_.scale_embedding ? std::sqrt(float(c_.d_model)) : 1.0f;
    for (int64_t r = 0; r < batch * n_new; ++r) {
      const float* position = decoder_positions_.data() + pass.positions[size_t(r)] * c_.d_model;
      for (int64_t i = 0; i < c_.d_model; ++i) x.row(r)[i] = x.row(r)[i] * scale + position[i];
    }
    return pass;
  }

  // Pre-LN residual blocks: causal self-attention, cross-attention to the audio, feed-forward.
  void decoder_layer(forward_pass& pass, kv_cache& cache, const kv_cache& cross,
                     const attention_probe* probe) const override {
    const int64_t index = pass.next_layer++;
    const whisper_decoder_layer& layer = decoder_layers_[size_t(index)];
    tensor& x = pass.x;  // (batch, n_new, d_model)
    layer.self_attn_layer_norm.forward(x, h_);
    layer.self_attn.forward_cached(h_, pass.positions.data(), cache, index, pass.start, 0, attention_buffers_, h_);
    x.add(h_);
    layer.encoder_attn_layer_norm.forward(x, h_);
    layer.encoder_attn.forward_over_cache(h_, cross, index, attention_buffers_, h_, probe);
    x.add(h_);
    layer.mlp.forward(x, c_.activation_function, h_, inner_);
  }

  // logits = proj_out(LN(x)).
  void decoder_end(forward_pass& pass, logits_for which, float* logits) const override {
    decoder_layer_norm_.forward(pass.x, pass.x);
    decoder_logits(proj_out_, pass, which, h_, logits);
  }

 private:
  // The decoder's working buffers, grown to the largest pass and reused (a model runs one layer
  // at a time).
  mutable attention_buffers attention_buffers_;
  mutable tensor h_;      // (batch, n_new, d_model)
  mutable tensor inner_;  // (batch, n_new, decoder_ffn_dim)

  whisper_config c_;
  weights weights_;
  load_options options_;
  weights_prefix root_, encoder_, decoder_;
  conv1d_layer conv1_, conv2_;                // (d_model, num_mel_bins, 3) stride 1; (d_model, d_model, 3) stride 2
  std::vector<float> encoder_positions_;      // (max_source_positions, d_model): the stored sinusoids
  std::vector<whisper_encoder_layer> encoder_layers_;
  layer_norm encoder_layer_norm_;
  embedding embed_tokens_;                    // (vocab_size, d_model)
  std::vector<float> decoder_positions_;      // (max_target_positions, d_model): learned
  std::vector<whisper_decoder_layer> decoder_layers_;
  layer_norm decoder_layer_norm_;
  linear proj_out_;                           // (vocab_size, d_model), embed_tokens' table unless stored
};

}  // namespace

std::unique_ptr<loaded_model> whisper_load(const config_reader& config, weights w, const load_options& options) {
  return std::make_unique<whisper_model>(whisper_config::from_json(config), std::move(w), options);
}

activation_estimate whisper_estimate(const config_reader& config, int64_t max_length) {
  const whisper_config c = whisper_config::from_json(config);
  const double length = double(estimate_length(max_length, c.max_target_positions));
  const double d = double(c.d_model), source = double(c.max_source_positions), frames = 2 * source;
  // f32 keys and values of every decoder layer: the self-attention cache for `length` positions
  // and the cross-attention cache for the encoder's positions.
  const double kv_cache = 2 * double(c.decoder_layers) * d * 4 * (length + source);
  // The encoder pass: the features by frame and the stem's first output, then (source, ·) hidden
  // states, q/k/v/context and the feed-forward's inner rows; and the decoder's (length, vocab) logits.
  const double working =
      4 * (frames * (double(c.num_mel_bins) + d) + source * (6 * d + double(c.encoder_ffn_dim)) + length * double(c.vocab_size));
  return {int64_t(length), kv_cache, working};
}

bool whisper_converts(const std::string& name, const shape_t& shape) {
  const std::string table = "embed_positions.weight";
  const bool is_table = name.size() >= table.size() && name.compare(name.size() - table.size(), table.size(), table) == 0;
  return shape.size() == 2 && !is_table;
}

}  // namespace wax
