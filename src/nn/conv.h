// A 1-D convolution layer (torch.nn.Conv1d): `<prefix>.weight` (out, in, kernel_size) and
// `<prefix>.bias` (out,), over sequences stored length-major (ops/conv.h).
#pragma once

#include <memory>
#include <vector>

#include "core/tensor.h"
#include "io/weights.h"
#include "ops/conv.h"

namespace wax {

class conv1d_layer {
 public:
  // The weight is read in place when the load keeps weights as stored (fp32), else (fp16, q8,
  // q4) copied once as f32: a convolution is a small part of any model, and quantizing it is not worth its error.
  static conv1d_layer load(const weights_prefix& w, const conv1d_shape& shape);

  // x (batch, length, in) -> y (batch, out_length, out)
  void forward(const tensor& x, tensor& y) const;
  const conv1d_shape& shape() const { return shape_; }
  size_t owned_bytes() const { return (copy_ ? copy_->size() : 0) * sizeof(float) + bias_.size() * sizeof(float); }

 private:
  conv1d_layer(const conv1d_shape& shape, weight_view weight, std::shared_ptr<const std::vector<float>> copy,
               std::vector<float> bias)
      : shape_(shape), weight_(weight), copy_(std::move(copy)), bias_(std::move(bias)) {}
  conv1d_shape shape_;
  weight_view weight_;                               // (out, in, kernel_size): the checkpoint's, or copy_
  std::shared_ptr<const std::vector<float>> copy_;   // (out, in, kernel_size) f32, or null
  std::vector<float> bias_;                          // (out,)
};

}  // namespace wax
