// libFuzzer target: the tokenizer.json loader. Built and run by tools/fuzz.sh.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wax::fuzz::tokenizer_json(data, size);
  return 0;
}
