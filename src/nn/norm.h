// Normalisation blocks: their weights, loaded once, and a forward over the rows of a tensor
// (the last dimension is normalised). The arithmetic is ops/norm.h's.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "io/weights.h"

namespace wax {

// RMSNorm (Zhang & Sennrich 2019), as Llama: `<prefix>.weight` (dim,).
class rms_norm {
 public:
  static rms_norm load(const weights_prefix& w, int64_t dim, double eps);

  // x (..., dim) -> y (..., dim); y may be x.
  void forward(const tensor& x, tensor& y) const;
  size_t owned_bytes() const { return weight_.size() * sizeof(float); }

 private:
  rms_norm(std::vector<float> weight, float eps) : weight_(std::move(weight)), eps_(eps) {}
  std::vector<float> weight_;  // (dim,)
  float eps_;
};

// LayerNorm (Ba et al. 2016), as BERT: `<prefix>.weight` and `<prefix>.bias` (dim,).
class layer_norm {
 public:
  static layer_norm load(const weights_prefix& w, int64_t dim, double eps);

  // x (..., dim) -> y (..., dim); y may be x.
  void forward(const tensor& x, tensor& y) const;
  size_t owned_bytes() const { return (weight_.size() + bias_.size()) * sizeof(float); }

 private:
  layer_norm(std::vector<float> weight, std::vector<float> bias, float eps)
      : weight_(std::move(weight)), bias_(std::move(bias)), eps_(eps) {}
  std::vector<float> weight_, bias_;  // (dim,)
  float eps_;
};

}  // namespace wax
