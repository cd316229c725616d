// tokenizer.json "post_processor": adds the special tokens around one sequence or a pair and
// sets the type ids (tokenizers/src/processors/).
#pragma once

#include <memory>
#include <vector>

#include "tokenizers/tokenizer.h"

namespace wax {

class json_node;

class post_processor {
 public:
  virtual ~post_processor() = default;
  // One or two encodings in (their type ids 0 and 1), which the caller concatenates after.
  virtual void process(std::vector<tokenizer::encoding>& encodings, bool add_special_tokens) const = 0;
};

// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence; null gives nullptr.
std::unique_ptr<post_processor> post_processor_from_json(const json_node& node);

}  // namespace wax
