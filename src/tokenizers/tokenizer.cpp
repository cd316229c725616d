// The pipeline of TokenizerImpl::encode_single_sequence / decode in tokenizers/src/tokenizer/mod.rs.
#include "tokenizers/tokenizer.h"

#include "core/error.h"
#include "io/config.h"
#include "tokenizers/added_tokens.h"
#include "tokenizers/decoders.h"
#include "tokenizers/json_node.h"
#include "tokenizers/models.h"
#include "tokenizers/normalizers.h"
#include "tokenizers/post_processors.h"
#include "tokenizers/pre_tokenizers.h"
#include "tokenizers/unicode.h"

namespace wax {

struct tokenizer_state {
  std::unique_ptr<normalizer> norm;
  std::unique_ptr<pre_tokenizer> pre;
  std::unique_ptr<model> tokens_model;
  std::unique_ptr<post_processor> post;
  std::unique_ptr<decoder> dec;
  added_vocabulary added;
  bool clean_up_tokenization_spaces = false;
  size_t vocab_size = 0;

  // One sequence, before post-processing; every id gets `type_id`.
  tokenizer::encoding encode_sequence(std::string_view input, int32_t type_id) const {
    const std::string text = unicode::utf8_sanitize(input);
    tokenizer::encoding out;
    std::vector<text_piece> raw_pieces, pieces;
    std::vector<pre_token> words;
    added.split(text, false, raw_pieces);
    for (const text_piece& raw : raw_pieces) {
      if (raw.id >= 0) {
        out.ids.push_back(raw.id);
        continue;
      }
      std::string normalized = text.substr(raw.begin, raw.end - raw.begin);
      if (norm) norm->normalize(normalized);
      pieces.clear();
      added.split(normalized, true, pieces);
      for (const text_piece& piece : pieces) {
        if (piece.id >= 0) {
          out.ids.push_back(piece.id);
          continue;
        }
        words.clear();
        words.push_back({normalized.substr(piece.begin, piece.end - piece.begin), raw.begin == 0 && piece.begin == 0});
        if (pre) pre->pre_tokenize(words);
        for (const pre_token& word : words) tokens_model->tokenize(word.text, out.ids);
      }
    }
    out.type_ids.assign(out.ids.size(), type_id);
    out.special_tokens_mask.assign(out.ids.size(), 0);
    return out;
  }

  tokenizer::encoding post_process(std::vector<tokenizer::encoding> encodings, bool add_special_tokens) const {
    if (post) post->process(encodings, add_special_tokens);
    tokenizer::encoding out = std::move(encodings[0]);
    for (size_t i = 1; i < encodings.size(); ++i) {
      const auto& e = encodings[i];
      out.ids.insert(out.ids.end(), e.ids.begin(), e.ids.end());
      out.type_ids.insert(out.type_ids.end(), e.type_ids.begin(), e.type_ids.end());
      out.special_tokens_mask.insert(out.special_tokens_mask.end(), e.special_tokens_mask.begin(), e.special_tokens_mask.end());
    }
    return out;
  }
};

tokenizer tokenizer::from_json(std::string_view tokenizer_json, std::string_view tokenizer_config_json) {
  const std::string file = "tokenizer.json";
  // Parsing bounds the nesting (json_max_depth): the readers below recurse with it.
  const nlohmann::json parsed = json_parse(tokenizer_json, file, error_bad_tokenizer);
  const json_node root(&parsed, "", file);
  if (!parsed.is_object()) root.fail("a JSON object");

  auto state = std::make_shared<tokenizer_state>();
  if (!root.has("model")) root.child("model").fail("a model object (BPE, WordPiece or WordLevel)");
  state->tokens_model = model_from_json(root.at("model"));
  state->norm = normalizer_from_json(root.child("normalizer"));
  state->pre = pre_tokenizer_from_json(root.child("pre_tokenizer"));
  state->post = post_processor_from_json(root.child("post_processor"));
  state->dec = decoder_from_json(root.child("decoder"));
  state->added = added_vocabulary(root.child("added_tokens"), state->norm.get());

  // len(tokenizer): the model's tokens plus the added tokens it lacks.
  state->vocab_size = state->tokens_model->vocab().ids().size();
  for (const added_token& token : state->added.tokens())
    if (!state->tokens_model->vocab().find(token.content)) ++state->vocab_size;

  if (!tokenizer_config_json.empty()) {
    const nlohmann::json config = json_parse(tokenizer_config_json, "tokenizer_config.json", error_bad_tokenizer);
    const json_node config_root(&config, "", "tokenizer_config.json");
    if (!config.is_object()) config_root.fail("a JSON object");
    state->clean_up_tokenization_spaces = config_root.boolean("clean_up_tokenization_spaces", false);
  }
  return tokenizer(std::move(state));
}

tokenizer::encoding tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<encoding> encodings;
  encodings.push_back(state_->encode_sequence(text, 0));
  return state_->post_process(std::move(encodings), add_special_tokens);
}

tokenizer::encoding tokenizer::encode_pair(std::string_view text, std::string_view pair, bool add_special_tokens) const {
  std::vector<encoding> encodings;
  encodings.push_back(state_->encode_sequence(text, 0));
  encodings.push_back(state_->encode_sequence(pair, 1));
  return state_->post_process(std::move(encodings), add_special_tokens);
}

std::string tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    const std::string* token = nullptr;
    if (const added_token* added = state_->added.find(id)) token = &added->decoded;
    else token = state_->tokens_model->vocab().token(id);
    if (!token) continue;
    if (skip_special_tokens && state_->added.is_special(*token)) continue;
    tokens.push_back(*token);
  }
  std::string text;
  if (state_->dec) {
    state_->dec->decode_chain(tokens);
    for (const auto& token : tokens) text += token;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  if (state_->clean_up_tokenization_spaces) text = clean_up_tokenization(std::move(text));
  return text;
}

bool tokenizer::cleans_up_spaces() const { return state_->clean_up_tokenization_spaces; }

std::optional<int32_t> tokenizer::token_to_id(std::string_view token) const {
  if (auto id = state_->added.find(token)) return id;
  return state_->tokens_model->vocab().find(token);
}

std::optional<std::string> tokenizer::id_to_token(int32_t id) const {
  if (const added_token* added = state_->added.find(id)) return added->decoded;
  if (const std::string* token = state_->tokens_model->vocab().token(id)) return *token;
  return std::nullopt;
}

size_t tokenizer::vocab_size() const { return state_->vocab_size; }

}  // namespace wax
