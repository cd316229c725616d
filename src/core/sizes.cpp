#include "core/sizes.h"

#include <cstdio>
#include <limits>

#include "core/error.h"

namespace wax {

uint64_t saturating_product(std::initializer_list<uint64_t> factors) {
  constexpr uint64_t saturated = std::numeric_limits<uint64_t>::max();
  uint64_t product = 1;
  for (uint64_t factor : factors) {
    if (factor == 0) return 0;
    product = product > saturated / factor ? saturated : product * factor;
  }
  return product;
}

size_t checked_elements(std::span<const int64_t> dims, size_t element_bytes, std::string_view what) {
  uint64_t count = 1;
  for (int64_t dim : dims) {
    if (dim < 0) throw error(error_bad_input, std::string(what) + ": negative size " + std::to_string(dim));
    count = saturating_product({count, uint64_t(dim)});
  }
  if (count <= max_buffer_bytes / element_bytes) return size_t(count);
  std::string product;
  for (int64_t dim : dims) product += (product.empty() ? "" : " × ") + std::to_string(dim);
  throw error(error_too_large, std::string(what) + " (" + product + " values of " + std::to_string(element_bytes) +
                                   " bytes) needs more than the " + format_bytes(max_buffer_bytes) +
                                   " that wasm32 can address");
}

void check_ids_shape(int64_t batch, int64_t seq) {
  if (batch <= 0 || seq <= 0)
    throw error(error_bad_input, "input_ids: dims [" + std::to_string(batch) + ", " + std::to_string(seq) +
                                     "] must both be positive (an empty batch or an empty prompt has no last token to "
                                     "continue from)");
}

std::string format_bytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (uint64_t(1) << 30)) std::snprintf(text, sizeof text, "%.2f GiB", double(bytes) / double(uint64_t(1) << 30));
  else std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / double(1 << 20));
  return text;
}

}  // namespace wax
