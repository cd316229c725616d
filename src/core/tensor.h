// Activations: shaped f32 tensors, owned (`tensor`) or borrowed (`tensor_view`). Storage is
// row-major everywhere in wax: the last dimension is contiguous, and images will be NHWC so that
// channels form a row (1×1 convolutions and channel norms are then row ops). Every tensor and
// buffer carries a shape comment naming its dimensions, e.g. `tensor x;  // (batch, seq, hidden)`.
// Weights are core/weight_view.h's read-only views of the checkpoint's bytes, in their own dtype.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wax {

using shape_t = std::vector<int64_t>;

// "(576, 1536)", for error messages.
std::string shape_to_string(const shape_t& shape);

// A shaped window on f32 values held elsewhere (a tensor, a cache); it never owns them.
class tensor_view {
 public:
  tensor_view() = default;
  tensor_view(float* data, shape_t shape) : data_(data), shape_(std::move(shape)) {}

  float* data() const { return data_; }
  const shape_t& shape() const { return shape_; }
  int64_t dim(size_t axis) const { return shape_[axis]; }

 private:
  float* data_ = nullptr;
  shape_t shape_;
};

// An owned f32 tensor. resize() keeps the allocation when the new shape fits, so working buffers
// reused across passes allocate only when a pass is larger than any before.
class tensor {
 public:
  tensor() = default;
  // Zero-filled; throws WAX_TOO_LARGE naming `what` past max_buffer_bytes (core/sizes.h).
  explicit tensor(shape_t shape, const char* what = "a tensor");

  // New shape, values unspecified (they are about to be written); same size check as above.
  tensor& resize(shape_t shape, const char* what = "a working buffer");

  float* data() { return values_.data(); }
  const float* data() const { return values_.data(); }
  const shape_t& shape() const { return shape_; }
  int64_t dim(size_t axis) const { return shape_[axis]; }
  int64_t numel() const { return int64_t(values_.size()); }
  // The last dimension, and how many of it there are: a (batch, seq, hidden) tensor is
  // batch · seq rows of hidden values, as the row ops (linear, norms) read it.
  int64_t cols() const { return shape_.empty() ? 1 : shape_.back(); }
  int64_t rows() const { return cols() == 0 ? 0 : numel() / cols(); }
  float* row(int64_t r) { return data() + r * cols(); }
  const float* row(int64_t r) const { return data() + r * cols(); }
  std::vector<float>& values() { return values_; }
  const std::vector<float>& values() const { return values_; }
  size_t capacity_bytes() const { return values_.capacity() * sizeof(float); }

  // x += other, element by element (residual connections); shapes must have equal counts.
  void add(const tensor& other);

 private:
  shape_t shape_;
  std::vector<float> values_;
};

}  // namespace wax
