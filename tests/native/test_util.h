// Shared by the native tests: fixture files, .npy arrays, model loading and error checks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/byte_buffer.h"
#include "core/tensor.h"
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

// A safetensors file written in memory from tensors given as their stored bytes.
struct stored_tensor {
  std::string name, dtype;
  shape_t shape;
  std::string bytes;
};
byte_buffer safetensors_file(const std::vector<stored_tensor>& tensors);
// `file` streamed in as one run of tensors, converted as `options` says while it arrives.
weights streamed(const byte_buffer& file, const load_options& options);

std::unique_ptr<causal_lm> load_causal_lm(const std::string& fixture_dir);

// The message of the wax::error that `call` throws, after checking its code. Throwing nothing
// fails the test; any other exception escapes to gtest, which fails it too.
std::string error_message(const std::function<void()>& call, const std::string& code);

// Each of `parts` appears in `message`.
void expect_contains(const std::string& message, const std::vector<std::string>& parts);

}  // namespace wax::testing
