#include "nn/norm.h"

#include "nn/linear.h"
#include "ops/norm.h"

namespace wax {

rms_norm rms_norm::load(const weights_prefix& w, int64_t dim, double eps) {
  return rms_norm(load_vector(w, "weight", dim), float(eps));
}

void rms_norm::forward(const tensor& x, tensor& y) const {
  if (&y != &x) y.resize(x.shape());
  rms_normalize(x.data(), x.rows(), x.cols(), weight_.data(), eps_, y.data());
}

layer_norm layer_norm::load(const weights_prefix& w, int64_t dim, double eps) {
  return layer_norm(load_vector(w, "weight", dim), load_vector(w, "bias", dim), float(eps));
}

void layer_norm::forward(const tensor& x, tensor& y) const {
  if (&y != &x) y.resize(x.shape());
  layer_normalize(x.data(), x.rows(), x.cols(), weight_.data(), bias_.data(), eps_, y.data());
}

}  // namespace wax
