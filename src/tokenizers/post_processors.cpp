#include "tokenizers/post_processors.h"

#include <map>

#include "core/error.h"
#include "tokenizers/json_node.h"

namespace wax {

namespace {

using encoding = tokenizer::encoding;

void append(encoding& to, const encoding& from) {
  to.ids.insert(to.ids.end(), from.ids.begin(), from.ids.end());
  to.type_ids.insert(to.type_ids.end(), from.type_ids.begin(), from.type_ids.end());
  to.special_tokens_mask.insert(to.special_tokens_mask.end(), from.special_tokens_mask.begin(), from.special_tokens_mask.end());
}

void append_special(encoding& to, const std::vector<int32_t>& ids, int32_t type_id) {
  for (int32_t id : ids) {
    to.ids.push_back(id);
    to.type_ids.push_back(type_id);
    to.special_tokens_mask.push_back(1);
  }
}

void set_type_ids(encoding& e, int32_t type_id) { e.type_ids.assign(e.ids.size(), type_id); }

class sequence_processor final : public post_processor {
 public:
  explicit sequence_processor(std::vector<std::unique_ptr<post_processor>> steps) : steps_(std::move(steps)) {}
  void process(std::vector<encoding>& encodings, bool add_special_tokens) const override {
    for (const auto& step : steps_) step->process(encodings, add_special_tokens);
  }

 private:
  std::vector<std::unique_ptr<post_processor>> steps_;
};

// ByteLevel only trims offsets, which wax does not return.
class byte_level_processor final : public post_processor {
 public:
  void process(std::vector<encoding>&, bool) const override {}
};

// TemplateProcessing: "single" and "pair" are lists of pieces, $A/$B or a special token, each
// with its type id; the type ids apply even without the special tokens.
class template_processor final : public post_processor {
 public:
  struct piece {
    int sequence;             // 0 for A, 1 for B, -1 for a special token
    std::vector<int32_t> ids;  // of the special token
    int32_t type_id;
  };
  template_processor(std::vector<piece> single, std::vector<piece> pair) : single_(std::move(single)), pair_(std::move(pair)) {}

  void process(std::vector<encoding>& encodings, bool add_special_tokens) const override {
    const auto& pieces = encodings.size() == 2 ? pair_ : single_;
    encoding out;
    for (const piece& p : pieces) {
      if (p.sequence < 0) {
        if (add_special_tokens) append_special(out, p.ids, p.type_id);
        continue;
      }
      if (size_t(p.sequence) >= encodings.size()) continue;
      encoding& sequence = encodings[size_t(p.sequence)];
      set_type_ids(sequence, p.type_id);
      append(out, sequence);
    }
    encodings.assign(1, std::move(out));
  }

 private:
  std::vector<piece> single_, pair_;
};

// BertProcessing: [CLS] A [SEP] (B [SEP]); B keeps its type id 1.
// RobertaProcessing: <s> A </s> (</s> B </s>), every type id 0.
class bert_processor final : public post_processor {
 public:
  bert_processor(int32_t cls, int32_t sep, bool roberta) : cls_(cls), sep_(sep), roberta_(roberta) {}
  void process(std::vector<encoding>& encodings, bool add_special_tokens) const override {
    if (roberta_)
      for (auto& e : encodings) set_type_ids(e, 0);
    if (!add_special_tokens) return;
    encoding out;
    append_special(out, {cls_}, 0);
    append(out, encodings[0]);
    append_special(out, {sep_}, 0);
    if (encodings.size() == 2) {
      if (roberta_) append_special(out, {sep_}, 0);
      append(out, encodings[1]);
      append_special(out, {sep_}, roberta_ ? 0 : 1);
    }
    encodings.assign(1, std::move(out));
  }

 private:
  int32_t cls_, sep_;
  bool roberta_;
};

// ["[CLS]", 101]
int32_t token_id_pair(const json_node& node) {
  if (node.size() != 2 || !node.value()[0].is_string()) node.fail("a [\"token\", id] pair");
  return int32_t(node.at(1).integer());
}

std::vector<template_processor::piece> template_from_json(const json_node& node,
                                                          const std::map<std::string, std::vector<int32_t>>& specials) {
  std::vector<template_processor::piece> pieces;
  for (const auto& element : node.elements()) {
    template_processor::piece p{-1, {}, 0};
    std::string special_name;
    if (element.value().is_string()) {  // "$A:0", "[CLS]:1"
      std::string text = element.string();
      const size_t colon = text.rfind(':');
      if (colon != std::string::npos) {
        try {
          p.type_id = int32_t(std::stoul(text.substr(colon + 1)));
        } catch (const std::exception&) {
          element.fail("a piece like \"$A:0\" or \"[CLS]:0\"");
        }
        text = text.substr(0, colon);
      }
      if (text == "$" || text == "$A" || text == "$a") p.sequence = 0;
      else if (text == "$B" || text == "$b") p.sequence = 1;
      else special_name = text;
    } else if (auto sequence = element.find("Sequence")) {
      const std::string id = sequence->at("id").string();
      if (id != "A" && id != "B") sequence->at("id").fail("\"A\" or \"B\"");
      p.sequence = id == "A" ? 0 : 1;
      p.type_id = int32_t(sequence->integer("type_id", 0));
    } else if (auto special = element.find("SpecialToken")) {
      special_name = special->at("id").string();
      p.type_id = int32_t(special->integer("type_id", 0));
    } else {
      element.fail("{\"Sequence\": ...} or {\"SpecialToken\": ...}");
    }
    if (p.sequence < 0) {
      auto found = specials.find(special_name);
      if (found == specials.end())
        throw error(error_bad_tokenizer, element.where() + ": special token '" + special_name +
                                             "' is missing from 'special_tokens' of the post_processor");
      p.ids = found->second;
    }
    pieces.push_back(std::move(p));
  }
  return pieces;
}

}  // namespace

std::unique_ptr<post_processor> post_processor_from_json(const json_node& node) {
  if (node.is_null()) return nullptr;
  const std::string type = node.type("post_processor");
  if (type == "Sequence") {
    std::vector<std::unique_ptr<post_processor>> steps;
    for (const auto& step : node.at("processors").elements())
      if (auto made = post_processor_from_json(step)) steps.push_back(std::move(made));
    return std::make_unique<sequence_processor>(std::move(steps));
  }
  if (type == "ByteLevel") return std::make_unique<byte_level_processor>();
  if (type == "TemplateProcessing") {
    std::map<std::string, std::vector<int32_t>> specials;
    if (auto tokens = node.find("special_tokens")) {
      if (!tokens->value().is_object()) tokens->fail("an object");
      for (const auto& item : tokens->value().items()) {
        const json_node entry = tokens->at(item.key());
        std::vector<int32_t> ids;
        for (const auto& id : entry.at("ids").elements()) ids.push_back(int32_t(id.integer()));
        specials[item.key()] = ids;
      }
    }
    return std::make_unique<template_processor>(template_from_json(node.at("single"), specials),
                                                template_from_json(node.at("pair"), specials));
  }
  if (type == "BertProcessing" || type == "RobertaProcessing")
    return std::make_unique<bert_processor>(token_id_pair(node.at("cls")), token_id_pair(node.at("sep")),
                                            type == "RobertaProcessing");
  node.at("type").fail_unknown("post_processor", type,
                               "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence");
}

}  // namespace wax
