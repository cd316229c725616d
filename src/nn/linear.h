// A linear layer y = x·Wᵀ + b over a weight view (F32/F16/BF16, read in place).
#pragma once

#include <vector>

#include "io/weights.h"

namespace wax {

class linear {
 public:
  // Loads `<prefix>.weight` (out, in) and, when `has_bias`, `<prefix>.bias` (out,).
  static linear load(const weights_prefix& w, int64_t in, int64_t out, bool has_bias);
  static linear from_view(const tensor_view& weight) { return linear(weight, {}); }

  // x (rows, in) -> y (rows, out)
  void forward(const float* x, int64_t rows, float* y) const;
  int64_t in_features() const { return weight_.shape[1]; }
  int64_t out_features() const { return weight_.shape[0]; }

 private:
  linear(tensor_view weight, std::vector<float> bias) : weight_(std::move(weight)), bias_(std::move(bias)) {}
  tensor_view weight_;      // (out, in)
  std::vector<float> bias_;  // (out,) or empty
};

// Rows of an embedding table (F32/F16/BF16), widened to f32.
class embedding {
 public:
  static embedding load(const weights_prefix& w, int64_t vocab_size, int64_t dim);

  // ids (n) -> out (n, dim); throws on an id outside the table.
  void forward(const int32_t* ids, int64_t n, float* out) const;
  const tensor_view& table() const { return table_; }

 private:
  explicit embedding(tensor_view table) : table_(std::move(table)) {}
  tensor_view table_;  // (vocab_size, dim)
};

// A small 1-D parameter (norm weight, bias) widened once to f32 at load.
std::vector<float> load_vector(const weights_prefix& w, const std::string& name, int64_t size);

}  // namespace wax
