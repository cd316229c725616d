// Shared by the native tests: fixture files, .npy arrays and model loading.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "models/causal_lm.h"

namespace wax::testing {

std::string fixture_path(const std::string& relative);  // under tests/fixtures
byte_buffer read_file(const std::string& path);
std::string read_text(const std::string& path);

// A .npy array (format v1-v3, little endian, C order) widened to double.
struct npy_array {
  std::vector<int64_t> shape;
  std::vector<double> values;
};
npy_array read_npy(const std::string& path);

std::unique_ptr<causal_lm> load_causal_lm(const std::string& fixture_dir);

}  // namespace wax::testing
