// libFuzzer target: config.json reading for causal LMs. Built and run by tools/fuzz.sh.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wax::fuzz::config_json(data, size);
  return 0;
}
