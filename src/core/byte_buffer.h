// An owned, malloc'd block of bytes. JavaScript fills such blocks in the wasm heap (it calls
// malloc through the module) and hands them over, so ownership must use malloc/free, not new.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace wax {

// Blocks that allocate() makes start on a cache line: the kernels' 16-byte loads of weights
// copied into them never straddle two lines.
inline constexpr size_t byte_buffer_alignment = 64;

class byte_buffer {
 public:
  byte_buffer() = default;
  // Takes ownership of `data`, which must come from malloc.
  byte_buffer(std::byte* data, size_t size) : byte_buffer(data, 0, size) {}
  // Takes ownership of the malloc'd `block`, whose bytes start `offset` in (JavaScript places a
  // file so that its tensor data starts on a cache line).
  byte_buffer(std::byte* block, size_t offset, size_t size) : block_(block), offset_(offset), size_(size) {}
  static byte_buffer allocate(size_t size);  // throws wax::error on out-of-memory

  std::byte* data() { return block_.get() + offset_; }
  const std::byte* data() const { return block_.get() + offset_; }
  size_t size() const { return size_; }

 private:
  struct free_deleter {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, free_deleter> block_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

}  // namespace wax
