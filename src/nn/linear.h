// A linear layer y = x·Wᵀ + b, and the embedding table, over weight matrices (nn/matrix.h).
#pragma once

#include <vector>

#include "core/tensor.h"
#include "nn/matrix.h"

namespace wax {

class linear {
 public:
  // Loads `<prefix>.weight` (out, in) and, when `has_bias`, `<prefix>.bias` (out,).
  static linear load(const weights_prefix& w, int64_t in, int64_t out, bool has_bias);
  static linear from_matrix(matrix weight) { return linear(std::move(weight), {}); }

  // x (..., in) -> y (..., out)
  void forward(const tensor& x, tensor& y) const;
  // x (rows, in) -> y (rows, out)
  void forward(const float* x, int64_t rows, float* y) const;
  int64_t in_features() const { return weight_.cols(); }
  int64_t out_features() const { return weight_.rows(); }
  size_t owned_bytes() const { return weight_.owned_bytes() + bias_.size() * sizeof(float); }

 private:
  linear(matrix weight, std::vector<float> bias) : weight_(std::move(weight)), bias_(std::move(bias)) {}
  matrix weight_;            // (out, in)
  std::vector<float> bias_;  // (out,) or empty
};

// Rows of an embedding table, widened to f32.
class embedding {
 public:
  static embedding load(const weights_prefix& w, int64_t vocab_size, int64_t dim);

  // ids (n) -> out (n, dim); throws on an id outside the table.
  void forward(const int32_t* ids, int64_t n, float* out) const;
  // ids (ids_shape) -> out (ids_shape..., dim)
  void forward(const int32_t* ids, const shape_t& ids_shape, tensor& out) const;
  const matrix& table() const { return table_; }

 private:
  explicit embedding(matrix table) : table_(std::move(table)) {}
  matrix table_;  // (vocab_size, dim)
};

// A small 1-D parameter (norm weight, bias) widened once to f32 at load.
std::vector<float> load_vector(const weights_prefix& w, const std::string& name, int64_t size);

}  // namespace wax
