#include "nn/linear.h"

#include "core/error.h"
#include "ops/matmul.h"

namespace wax {

std::vector<float> load_vector(const weights_prefix& w, const std::string& name, int64_t size) {
  weight_view view = w.get(name, {size});
  std::vector<float> values(static_cast<size_t>(size));
  tensor_to_f32(view, 0, size, values.data());
  return values;
}

linear linear::load(const weights_prefix& w, int64_t in, int64_t out, bool has_bias) {
  return linear(matrix::load(w, "weight", out, in), has_bias ? load_vector(w, "bias", out) : std::vector<float>{});
}

void linear::forward(const tensor& x, tensor& y) const {
  shape_t shape = x.shape();
  shape.back() = out_features();
  y.resize(std::move(shape));
  forward(x.data(), x.rows(), y.data());
}

void linear::forward(const float* x, int64_t rows, float* y) const {
  weight_.multiply(x, rows, y);
  if (bias_.empty()) return;
  const int64_t out = out_features();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) y[r * out + o] += bias_[size_t(o)];
}

embedding embedding::load(const weights_prefix& w, int64_t vocab_size, int64_t dim) {
  return embedding(matrix::load(w, "weight", vocab_size, dim));
}

void embedding::forward(const int32_t* ids, const shape_t& ids_shape, tensor& out) const {
  shape_t shape = ids_shape;
  shape.push_back(table_.cols());
  out.resize(std::move(shape), "the embeddings");
  forward(ids, out.rows(), out.data());
}

void embedding::forward(const int32_t* ids, int64_t n, float* out) const {
  const int64_t vocab_size = table_.rows(), dim = table_.cols();
  for (int64_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab_size)
      throw error(error_bad_input, "input_ids: token id " + std::to_string(ids[i]) + " at position " +
                                       std::to_string(i) + " is outside the vocabulary [0, " +
                                       std::to_string(vocab_size) + ")");
    table_.row(ids[i], out + i * dim);
  }
}

}  // namespace wax
