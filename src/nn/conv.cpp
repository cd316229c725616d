#include "nn/conv.h"

#include "nn/linear.h"

namespace wax {

conv1d_layer conv1d_layer::load(const weights_prefix& w, const conv1d_shape& shape) {
  weight_view weight = w.get("weight", {shape.out_channels, shape.in_channels, shape.kernel_size});
  std::shared_ptr<std::vector<float>> copy;
  const std::string& dtype = w.options().dtype_for(w.full_name("weight"));
  if (dtype != "fp16" && dtype != "q8" && dtype != "q4") {
    w.all().note_view_kept();
  } else {
    copy = std::make_shared<std::vector<float>>(static_cast<size_t>(weight.numel()));
    tensor_to_f32(weight, 0, weight.numel(), copy->data());
    weight = {dtype::f32, weight.shape, reinterpret_cast<const std::byte*>(copy->data()), copy->size() * sizeof(float)};
  }
  return conv1d_layer(shape, weight, std::move(copy), load_vector(w, "bias", shape.out_channels));
}

void conv1d_layer::forward(const tensor& x, tensor& y) const {
  const int64_t batch = x.dim(0), length = x.dim(1);
  y.resize({batch, shape_.out_length(length), shape_.out_channels}, "the convolution's output");
  conv1d(x.data(), batch, length, weight_, bias_.data(), shape_, y.data());
}

}  // namespace wax
