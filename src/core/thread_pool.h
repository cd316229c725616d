// The one pool of worker threads in wax (its only global): it splits loops (output columns of a
// matmul, attention heads) across threads. Natively it uses std::thread; in the wasm build with
// pthreads the same code runs on Emscripten's pthread workers; without threads it runs inline.
#pragma once

#include <cstdint>
#include <functional>

namespace wax {

class thread_pool {
 public:
  static thread_pool& instance();

  // Total threads that share the work, the calling thread included (1: no worker threads).
  void set_threads(int threads);
  int threads() const;

  // Calls body(begin, end) on chunks of at most `grain` items that together cover [0, n) once,
  // on all threads; returns when every chunk is done. Not reentrant: a body must not call it.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body);

  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool();

 private:
  thread_pool() = default;
  struct state;
  state* state_ = nullptr;
};

}  // namespace wax
