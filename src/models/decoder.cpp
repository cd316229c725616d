#include "models/decoder.h"

#include <algorithm>

namespace wax {

void decoder_logits(const linear& head, const forward_pass& pass, logits_for which, tensor& last, float* logits) {
  const tensor& x = pass.x;  // (batch, n_new, hidden)
  if (which == logits_for::all_positions) {
    head.forward(x.data(), x.rows(), logits);
    return;
  }
  const int64_t hidden = x.cols();
  last.resize({pass.batch, hidden});  // (batch, hidden)
  for (int64_t b = 0; b < pass.batch; ++b) std::copy_n(x.row((b + 1) * pass.n_new - 1), hidden, last.row(b));
  head.forward(last.data(), pass.batch, logits);
}

}  // namespace wax
