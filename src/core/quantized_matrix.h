// Block-quantized weights, as llama.cpp's Q8_0 and Q4_0: each row is cut into blocks of 32
// values sharing one f16 scale d. Q8_0 stores round(x/d) in int8 (d = max|x|/127), 1.06 bytes a
// weight; Q4_0 stores round(x/d) in a nibble (d = the signed value of largest magnitude / -8),
// element j in the low and j+16 in the high nibble of byte j, 0.56 bytes a weight. Unlike
// llama.cpp's nibbles (round(x/d)+8), ours are 4-bit two's complement, so the kernel can move
// each to the top of a 16-bit lane and use it signed, with no offset to take off.
//
// The storage format and the conversion into it, which loading runs (io quantizes a file as it
// streams in); the kernels that read it are ops/kernels/quant.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/weight_view.h"

namespace wax {

inline constexpr int64_t quant_block = 32;

enum class quant_type { q8_0, q4_0 };

// One record of quantized_matrix: four f16 scales, then four blocks.
inline constexpr int64_t record_scale_bytes = 4 * int64_t(sizeof(uint16_t));
constexpr int64_t block_bytes(quant_type type) { return type == quant_type::q8_0 ? quant_block : quant_block / 2; }
constexpr int64_t record_bytes(quant_type type) { return record_scale_bytes + 4 * block_bytes(type); }

struct quantized_matrix {
  quant_type type = quant_type::q8_0;
  int64_t rows = 0, cols = 0, blocks = 0;  // blocks per row: cols / 32, rounded up (zero-padded)
  // Rows go in groups of four, and a group's blocks are interleaved: for each (group, block) one
  // record holds the four rows' f16 scales, then their four blocks. The decode kernel, which takes
  // four rows a pass, so reads the matrix as one stream, which the hardware prefetcher follows
  // (four row streams ran at about two thirds of the speed from memory). A last partial group is
  // zero-padded.
  std::vector<uint8_t> data;

  // Byte offsets in data: record (group, b), and row's block and scale in it.
  size_t record_offset(int64_t group, int64_t b) const { return size_t((group * blocks + b) * record_bytes(type)); }
  size_t block_offset(int64_t row, int64_t b) const {
    return record_offset(row / 4, b) + size_t(record_scale_bytes + (row % 4) * block_bytes(type));
  }
  size_t scale_offset(int64_t row, int64_t b) const { return record_offset(row / 4, b) + size_t(row % 4) * sizeof(uint16_t); }

  const uint8_t* record(int64_t group, int64_t b) const { return data.data() + record_offset(group, b); }
  const uint8_t* block(int64_t row, int64_t b) const { return data.data() + block_offset(row, b); }
  uint8_t* block(int64_t row, int64_t b) { return data.data() + block_offset(row, b); }
  uint16_t scale_bits(int64_t row, int64_t b) const {
    uint16_t bits;
    std::memcpy(&bits, data.data() + scale_offset(row, b), sizeof bits);
    return bits;
  }
  void set_scale_bits(int64_t row, int64_t b, uint16_t bits) { std::memcpy(data.data() + scale_offset(row, b), &bits, sizeof bits); }
  size_t bytes() const { return data.size(); }
};

// Quantizes an F32/F16/BF16 matrix (rows, cols) one row at a time (no f32 copy of the whole).
quantized_matrix quantize(const weight_view& w, quant_type type);

// Rounds half away from zero, as lroundf, without its library call (quantizing is on the load path).
inline int round_half_away(float v) { return int(v + (v >= 0 ? 0.5f : -0.5f)); }

}  // namespace wax
