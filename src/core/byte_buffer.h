// An owned, malloc'd block of bytes. JavaScript fills such blocks in the wasm heap (it calls
// malloc through the module) and hands them over, so ownership must use malloc/free, not new.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace wax {

class byte_buffer {
 public:
  byte_buffer() = default;
  // Takes ownership of `data`, which must come from malloc.
  byte_buffer(std::byte* data, size_t size) : data_(data), size_(size) {}
  static byte_buffer allocate(size_t size);  // throws wax::error on out-of-memory

  std::byte* data() { return data_.get(); }
  const std::byte* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct free_deleter {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, free_deleter> data_;
  size_t size_ = 0;
};

}  // namespace wax
