#include "core/quantized_matrix.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"

namespace wax {
namespace {

uint16_t quantize_block_q8(const float* x, int8_t* q) {
  float amax = 0;
  for (int64_t i = 0; i < quant_block; ++i) amax = std::max(amax, std::abs(x[i]));
  const float d = amax / 127.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
  for (int64_t i = 0; i < quant_block; ++i) q[i] = int8_t(round_half_away(x[i] * inverse));
  return f32_to_f16(d);
}

uint16_t quantize_block_q4(const float* x, uint8_t* packed) {
  float amax = 0, signed_max = 0;
  for (int64_t i = 0; i < quant_block; ++i)
    if (std::abs(x[i]) > amax) {
      amax = std::abs(x[i]);
      signed_max = x[i];
    }
  const float d = signed_max / -8.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
  // round(v/d) + 8 in 0…15 (as llama.cpp rounds it), xor 8: round(v/d) in 4-bit two's complement
  auto level = [&](float v) { return uint8_t(std::min(15, int(v * inverse + 8.5f)) ^ 8); };
  for (int64_t j = 0; j < quant_block / 2; ++j) packed[j] = uint8_t(level(x[j]) | (level(x[j + quant_block / 2]) << 4));
  return f32_to_f16(d);
}

}  // namespace

quantized_matrix quantize(const weight_view& w, quant_type type) {
  quantized_matrix q;
  q.type = type;
  q.rows = w.shape[0];
  q.cols = w.shape[1];
  q.blocks = (q.cols + quant_block - 1) / quant_block;
  q.data.resize(static_cast<size_t>((q.rows + 3) / 4 * q.blocks * record_bytes(type)));
  // Loading waits on this (a 1B model is 1.2 G weights): the threads take 64 rows at a time.
  thread_pool::instance().parallel_for(q.rows, 64, [&](int64_t first, int64_t end) {
    std::vector<float> row(static_cast<size_t>(q.blocks * quant_block), 0.0f);  // zero-padded to whole blocks
    for (int64_t r = first; r < end; ++r) {
      tensor_to_f32(w, r * q.cols, q.cols, row.data());
      for (int64_t b = 0; b < q.blocks; ++b) {
        const float* values = row.data() + b * quant_block;
        q.set_scale_bits(r, b, type == quant_type::q8_0 ? quantize_block_q8(values, reinterpret_cast<int8_t*>(q.block(r, b)))
                                                        : quantize_block_q4(values, q.block(r, b)));
      }
    }
  });
  return q;
}

}  // namespace wax
