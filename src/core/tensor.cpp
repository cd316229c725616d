#include "core/tensor.h"

#include <cassert>

#include "core/sizes.h"

namespace wax {

std::string shape_to_string(const shape_t& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

int64_t tensor_view::numel() const {
  int64_t count = 1;
  for (int64_t d : shape_) count *= d;
  return count;
}

tensor_view tensor_view::slice(int64_t first, int64_t count) const {
  assert(!shape_.empty() && first >= 0 && first + count <= shape_[0]);
  shape_t shape = shape_;
  shape[0] = count;
  const int64_t stride = shape_[0] == 0 ? 0 : numel() / shape_[0];
  return {data_ + first * stride, std::move(shape)};
}

tensor::tensor(shape_t shape, const char* what) : shape_(std::move(shape)) {
  values_.assign(checked_elements(shape_, sizeof(float), what), 0.0f);
}

tensor& tensor::resize(shape_t shape, const char* what) {
  values_.resize(checked_elements(shape, sizeof(float), what));
  shape_ = std::move(shape);
  return *this;
}

void tensor::add(const tensor& other) {
  assert(other.numel() == numel());
  float* x = data();
  const float* y = other.data();
  const int64_t n = numel();
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace wax
