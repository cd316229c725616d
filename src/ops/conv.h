// One-dimensional convolution (cross-correlation, as torch.nn.Conv1d) over sequences stored
// length-major: x (batch, length, in_channels), so that each output position is a row and the
// result feeds linear layers and norms as they are. Computed as im2col rows into the packed GEMM.
#pragma once

#include <cstdint>

#include "core/weight_view.h"

namespace wax {

struct conv1d_shape {
  int64_t in_channels;
  int64_t out_channels;
  int64_t kernel_size;
  int64_t stride = 1;
  int64_t padding = 0;  // zeros on both ends

  // torch's floor((length + 2·padding - kernel_size) / stride) + 1; 0 when the input is too short.
  int64_t out_length(int64_t length) const;
};

// x (batch, length, in_channels); weight (out_channels, in_channels, kernel_size) as torch stores
// it, read in place in its dtype; bias (out_channels,) or null → y (batch, out_length, out_channels).
void conv1d(const float* x, int64_t batch, int64_t length, const weight_view& weight, const float* bias,
            const conv1d_shape& shape, float* y);

// Scalar reference for the tests: the same sum with plain loops in double.
void conv1d_reference(const float* x, int64_t batch, int64_t length, const weight_view& weight, const float* bias,
                      const conv1d_shape& shape, float* y);

}  // namespace wax
