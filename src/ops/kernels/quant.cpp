#include "ops/kernels/quant.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "ops/kernels/simd.h"

namespace wax {
namespace {

using namespace simd;

// Where element j of a 32-block sits in the activations' i16 layout. Q8_0 keeps the natural
// order (four parts of 8 consecutive values). Q4_0 weights are unpacked as the four nibbles of
// each 16-bit word (see load_block), so x is stored in that order: part 0 holds elements 0, 2, …,
// 14, part 1 16, 18, …, 30, part 2 1, 3, …, 15, part 3 17, 19, …, 31.
int64_t activation_slot(quant_type type, int64_t j) {
  if (type == quant_type::q8_0) return j;
  const int64_t half = j / 16, pair = (j % 16) / 2, odd = j % 2;
  return (2 * odd + half) * 8 + pair;
}

// x (in,) → 8-bit values widened to i16 in the layout above (blocks · 32, zero-padded) and f32
// scales (blocks,).
void quantize_activation(const float* x, int64_t in, quant_type type, int64_t blocks, int16_t* q, float* scales) {
  for (int64_t b = 0; b < blocks; ++b) {
    float block[quant_block] = {};
    std::copy_n(x + b * quant_block, std::min(quant_block, in - b * quant_block), block);
    float amax = 0;
    for (float v : block) amax = std::max(amax, std::abs(v));
    const float d = amax / 127.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
    for (int64_t j = 0; j < quant_block; ++j) q[b * quant_block + activation_slot(type, j)] = int16_t(round_half_away(block[j] * inverse));
    scales[b] = d;
  }
}

// The 32 weights of one block as four i16x8 vectors, in the activations' layout (Q4_0 levels × 4096).
struct block_i16 {
  i16x8 part[4];
};

template <quant_type type>
inline block_i16 load_block(const uint8_t* block) {
  if constexpr (type == quant_type::q8_0) {
    const auto* q = reinterpret_cast<const int8_t*>(block);
    const i8x16 low = load_i8(q), high = load_i8(q + 16);
    return {{widen_low(low), widen_high(low), widen_low(high), widen_high(high)}};
  }
  const i16x8 words = load_i16(reinterpret_cast<const int16_t*>(block));
  return {{nibble_times_4096(words, 0), nibble_times_4096(words, 4), nibble_times_4096(words, 8), nibble_times_4096(words, 12)}};
}

// Four output columns a pass: each block's integer dot products, their four totals gathered in
// one vector (lane c: column c), times the block's scales (the four weight rows' f16 scales
// converted together, times x's) in one f32 multiply-add.
template <quant_type type, int C>
void quantized_tile(const int16_t* xq, const float* xs, const quantized_matrix& w,
                    int64_t first_row, float* y) {
  f32x4 acc = zero();
  constexpr float level_scale = type == quant_type::q4_0 ? 0x1p-12f : 1.0f;  // Q4_0 levels arrive × 4096
  const uint8_t* record = w.record(first_row / 4, 0);
  for (int64_t b = 0; b < w.blocks; ++b, record += record_bytes(type)) {
    const int16_t* xb = xq + b * quant_block;
    const i16x8 x0 = load_i16(xb), x1 = load_i16(xb + 8), x2 = load_i16(xb + 16), x3 = load_i16(xb + 24);
    const f32x4 block_scales = mul(load_f16x4(reinterpret_cast<const uint16_t*>(record)), splat(xs[b] * level_scale));
    i32x4 dots[4] = {zero_i32(), zero_i32(), zero_i32(), zero_i32()};  // lanes: parts of column c's sum
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const block_i16 wb = load_block<type>(record + record_scale_bytes + c * block_bytes(type));
      dots[c] = add_i32(add_i32(dot(x0, wb.part[0]), dot(x1, wb.part[1])), add_i32(dot(x2, wb.part[2]), dot(x3, wb.part[3])));
    }
    acc = add(acc, mul(to_f32(lane_totals(dots[0], dots[1], dots[2], dots[3])), block_scales));
  }
  float totals[4];
  store(totals, acc);
  std::copy_n(totals, C, y);
}

template <quant_type type>
void quantized_row(const int16_t* xq, const float* xs, const quantized_matrix& w, float* y_row,
                   int64_t first_out, int64_t end_out) {
  int64_t o = first_out;
  for (; o + 4 <= end_out; o += 4) quantized_tile<type, 4>(xq, xs, w, o, y_row + o);
  switch (end_out - o) {
    case 3: quantized_tile<type, 3>(xq, xs, w, o, y_row + o); break;
    case 2: quantized_tile<type, 2>(xq, xs, w, o, y_row + o); break;
    case 1: quantized_tile<type, 1>(xq, xs, w, o, y_row + o); break;
    default: break;
  }
}

// 16 bytes u to out[i] = (u[i] - offset) · scale, through byte_quarter_plus_2p23: the levels
// arrive as floats with no widening steps (about three times faster than widening i8 to i32).
inline void unsigned_levels_to_f32(i8x16 u, float offset, float scale, float* out) {
  const f32x4 bias = splat(0x1p23f + offset), s = splat(scale);
  store(out, mul(sub(byte_quarter_plus_2p23<0>(u), bias), s));
  store(out + 4, mul(sub(byte_quarter_plus_2p23<1>(u), bias), s));
  store(out + 8, mul(sub(byte_quarter_plus_2p23<2>(u), bias), s));
  store(out + 12, mul(sub(byte_quarter_plus_2p23<3>(u), bias), s));
}

// Weight j of a block as an integer, for the scalar twin and dequantization.
int weight_level(const quantized_matrix& w, const uint8_t* block, int64_t j) {
  if (w.type == quant_type::q8_0) return reinterpret_cast<const int8_t*>(block)[j];
  const uint8_t byte = block[j % (quant_block / 2)];
  return ((j < quant_block / 2 ? byte & 0x0f : byte >> 4) ^ 8) - 8;
}

}  // namespace

void dequantize_row(const quantized_matrix& w, int64_t row, float* out) {
  const int64_t whole_blocks = w.cols / quant_block;
  const int64_t stride = record_bytes(w.type);
  const uint8_t* scale_bits = w.data.data() + w.scale_offset(row, 0);
  const uint8_t* block = w.block(row, 0);
  for (int64_t b = 0; b < w.blocks; ++b, scale_bits += stride, block += stride) {
    uint16_t bits;
    std::memcpy(&bits, scale_bits, sizeof bits);
    const float scale = f16_to_f32(bits);
    const int64_t first = b * quant_block;
    if (b < whole_blocks) {  // the prompt kernel dequantizes every weight once per pass: vectorized
      if (w.type == quant_type::q8_0) {
        unsigned_levels_to_f32(xor_bytes(load_u8(block), 0x80), 128, scale, out + first);
        unsigned_levels_to_f32(xor_bytes(load_u8(block + 16), 0x80), 128, scale, out + first + 16);
      } else {  // the high nibbles are kept in place: 16 × their level, scaled back exactly by 1/16
        const i8x16 packed = load_u8(block);
        unsigned_levels_to_f32(xor_bytes(and_bytes(packed, 0x0f), 0x08), 8, scale, out + first);
        unsigned_levels_to_f32(xor_bytes(and_bytes(packed, 0xf0), 0x80), 128, scale * 0x1p-4f, out + first + 16);
      }
      continue;
    }
    for (int64_t j = 0; j < w.cols - first; ++j) out[first + j] = float(weight_level(w, block, j)) * scale;
  }
}

quantized_activations quantize_activations(const float* x, int64_t rows, int64_t in, quant_type layout) {
  quantized_activations a;
  a.layout = layout;
  a.rows = rows;
  a.blocks = (in + quant_block - 1) / quant_block;
  a.values.resize(static_cast<size_t>(rows * a.blocks * quant_block));
  a.scales.resize(static_cast<size_t>(rows * a.blocks));
  for (int64_t r = 0; r < rows; ++r)
    quantize_activation(x + r * in, in, layout, a.blocks, a.values.data() + r * a.blocks * quant_block,
                        a.scales.data() + r * a.blocks);
  return a;
}

void gemm_xwt_quantized(const quantized_activations& x, const quantized_matrix& w, float* y, int64_t y_stride,
                        int64_t first_out, int64_t end_out) {
  assert(x.layout == w.type && x.blocks == w.blocks && first_out % 4 == 0);
  for (int64_t r = 0; r < x.rows; ++r) {
    const int16_t* xq = x.values.data() + r * x.blocks * quant_block;
    const float* xs = x.scales.data() + r * x.blocks;
    if (w.type == quant_type::q8_0) quantized_row<quant_type::q8_0>(xq, xs, w, y + r * y_stride, first_out, end_out);
    else quantized_row<quant_type::q4_0>(xq, xs, w, y + r * y_stride, first_out, end_out);
  }
}

void gemm_xwt_quantized(const float* x, int64_t rows, const quantized_matrix& w, float* y, int64_t y_stride,
                        int64_t first_out, int64_t end_out) {
  gemm_xwt_quantized(quantize_activations(x, rows, w.cols, w.type), w, y, y_stride, first_out, end_out);
}

void gemm_xwt_quantized_scalar(const float* x, int64_t rows, const quantized_matrix& w, float* y, int64_t y_stride) {
  std::vector<int16_t> xq(static_cast<size_t>(w.blocks * quant_block));
  std::vector<float> xs(static_cast<size_t>(w.blocks));
  for (int64_t r = 0; r < rows; ++r) {
    quantize_activation(x + r * w.cols, w.cols, w.type, w.blocks, xq.data(), xs.data());
    for (int64_t o = 0; o < w.rows; ++o) {
      float total = 0;
      for (int64_t b = 0; b < w.blocks; ++b) {
        int32_t block_total = 0;
        for (int64_t j = 0; j < quant_block; ++j)
          block_total += int32_t(xq[size_t(b * quant_block + activation_slot(w.type, j))]) * weight_level(w, w.block(o, b), j);
        total += float(block_total) * (f16_to_f32(w.scale_bits(o, b)) * xs[size_t(b)]);
      }
      y[r * y_stride + o] = total;
    }
  }
}

}  // namespace wax
