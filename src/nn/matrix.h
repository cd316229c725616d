// A weight matrix (rows, cols) as the kernels read it: the checkpoint's F32/F16/BF16 bytes in
// place, or a copy converted at load time (F16, or Q8_0/Q4_0 blocks) as load_options asks.
// Copies share their storage, so a tied lm_head and its embedding hold one table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "io/weights.h"
#include "ops/kernels/quant.h"

namespace wax {

class matrix {
 public:
  // `<prefix>.<name>` of shape (rows, cols), stored as w.options() asks for that key.
  static matrix load(const weights_prefix& w, const std::string& name, int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  size_t bytes() const;
  size_t owned_bytes() const { return converted_ || quantized_ ? bytes() : 0; }  // 0 for a view of the checkpoint

  // y (n, rows) = x (n, cols) · thisᵀ
  void multiply(const float* x, int64_t n, float* y) const;
  // Row r widened to f32 (cols values).
  void row(int64_t r, float* out) const;

 private:
  int64_t rows_ = 0, cols_ = 0;
  weight_view view_;  // F32/F16/BF16: the checkpoint's bytes, or converted_
  std::shared_ptr<const std::vector<uint16_t>> converted_;   // F16 copy (rows, cols)
  std::shared_ptr<const quantized_matrix> quantized_;
};

}  // namespace wax
