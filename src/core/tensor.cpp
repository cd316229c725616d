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
