// libFuzzer target: the safetensors header parser and weights registration. Built and run by tools/fuzz.sh.
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wax::fuzz::safetensors_file(data, size);
  return 0;
}
