#include "nn/matrix.h"

#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"
#include "ops/kernels/gemm_f32.h"
#include "ops/matmul.h"

namespace wax {

matrix matrix::load(const weights_prefix& w, const std::string& name, int64_t rows, int64_t cols) {
  matrix m;
  m.rows_ = rows;
  m.cols_ = cols;
  if ((m.quantized_ = w.quantized(name, {rows, cols}))) return m;  // quantized as it streamed in
  m.view_ = w.get(name, {rows, cols});
  const std::string& dtype = w.options().dtype_for(w.full_name(name));
  check_dtype_name(dtype);
  if (dtype == "q8" || dtype == "q4") {
    m.quantized_ = std::make_shared<quantized_matrix>(quantize(m.view_, dtype == "q8" ? quant_type::q8_0 : quant_type::q4_0));
    m.view_ = {};
  } else if (dtype == "fp16" && m.view_.type != dtype::f16) {
    auto halves = std::make_shared<std::vector<uint16_t>>(static_cast<size_t>(rows * cols));
    tensor_to_f16(m.view_, halves->data());
    m.view_ = {dtype::f16, {rows, cols}, reinterpret_cast<const std::byte*>(halves->data()), halves->size() * 2};
    m.converted_ = std::move(halves);
  } else {
    w.all().note_view_kept();
  }
  return m;
}

size_t matrix::bytes() const { return quantized_ ? quantized_->bytes() : view_.nbytes; }

void matrix::multiply(const float* x, int64_t n, float* y) const {
  // Output columns split across the threads in whole 16-row groups (two packed panels). Prompts
  // take about four chunks a thread, for balance; decode reads the weights once, so each thread
  // takes one contiguous slice, one stream through memory (interleaved chunks break the streams).
  thread_pool& pool = thread_pool::instance();
  const int64_t chunks = n < 4 ? pool.threads() : 4 * pool.threads();
  const int64_t grain = std::max<int64_t>(16, ((rows_ + chunks - 1) / chunks + 15) / 16 * 16);
  if (quantized_ && n < 4) {  // decode: the integer kernel reads the blocks as they are, x quantized once
    const quantized_activations xq = quantize_activations(x, n, cols_, quantized_->type);
    pool.parallel_for(rows_, grain, [&](int64_t first, int64_t end) { gemm_xwt_quantized(xq, *quantized_, y, rows_, first, end); });
    return;
  }
  pool.parallel_for(rows_, grain, [&](int64_t first, int64_t end) {
    if (!quantized_) {
      matmul_xwt(x, n, cols_, slice_rows(view_, first, end - first), y + first, rows_);
    } else {  // prompts: compute-bound, so rows are dequantized into the f32 packed kernel
      gemm_xwt_packed_4x8(x, n, cols_, end - first, [&](int64_t r, float* out) { dequantize_row(*quantized_, first + r, out); },
                          y + first, rows_);
    }
  });
}

void matrix::row(int64_t r, float* out) const {
  if (quantized_) dequantize_row(*quantized_, r, out);
  else tensor_to_f32(view_, r * cols_, cols_, out);
}

}  // namespace wax
