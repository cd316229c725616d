#include "core/thread_pool.h"

#include <algorithm>

#if !defined(__EMSCRIPTEN__) || defined(__EMSCRIPTEN_PTHREADS__)
#define WAX_HAS_THREADS 1
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace wax {

#if WAX_HAS_THREADS

struct thread_pool::state {
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  uint64_t generation = 0;  // bumped for every job; workers run each generation once
  std::atomic<uint64_t> published{0};  // generation, readable without the lock (for spinning)
  bool stopping = false;
  // The job in flight:
  const std::function<void(int64_t, int64_t)>* body = nullptr;
  int64_t n = 0, grain = 1;
  std::atomic<int64_t> next{0};
  int busy_workers = 0;
  std::atomic<int> running_workers{0};  // busy_workers, readable without the lock

  void run_chunks() {
    for (;;) {
      const int64_t begin = next.fetch_add(grain);
      if (begin >= n) return;
      (*body)(begin, std::min(n, begin + grain));
    }
  }

  // Decode issues hundreds of short jobs a token: a waiting thread first spins a little (about
  // the length of one small job) before it sleeps, so a job rarely pays for a wake-up.
  static constexpr int spin_rounds = 20000;

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < spin_rounds && published.load(std::memory_order_acquire) == seen; ++i) {
      }
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return stopping || generation != seen; });
        if (stopping) return;
        seen = generation;
      }
      run_chunks();
      running_workers.fetch_sub(1, std::memory_order_acq_rel);
      std::lock_guard<std::mutex> lock(mutex);
      if (--busy_workers == 0) done.notify_one();
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (auto& worker : workers) worker.join();
    workers.clear();
    stopping = false;
  }
};

thread_pool& thread_pool::instance() {
  static thread_pool pool;
  return pool;
}

thread_pool::~thread_pool() {
  if (state_) state_->stop();
  delete state_;
}

void thread_pool::set_threads(int threads) {
  if (!state_) state_ = new state();
  state_->stop();
  for (int i = 1; i < std::max(threads, 1); ++i) state_->workers.emplace_back([s = state_] { s->worker_loop(); });
}

int thread_pool::threads() const { return state_ ? int(state_->workers.size()) + 1 : 1; }

void thread_pool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  grain = std::max<int64_t>(grain, 1);
  if (!state_ || state_->workers.empty() || n <= grain) {
    for (int64_t begin = 0; begin < n; begin += grain) body(begin, std::min(n, begin + grain));
    return;
  }
  state& s = *state_;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.body = &body;
    s.n = n;
    s.grain = grain;
    s.next.store(0);
    s.busy_workers = int(s.workers.size());
    s.running_workers.store(s.busy_workers, std::memory_order_release);
    s.published.store(++s.generation, std::memory_order_release);
  }
  s.wake.notify_all();
  s.run_chunks();
  for (int i = 0; i < state::spin_rounds && s.running_workers.load(std::memory_order_acquire) > 0; ++i) {
  }
  std::unique_lock<std::mutex> lock(s.mutex);
  s.done.wait(lock, [&] { return s.busy_workers == 0; });
}

#else  // a wasm build without pthreads: everything runs on the calling thread

struct thread_pool::state {};
thread_pool& thread_pool::instance() {
  static thread_pool pool;
  return pool;
}
thread_pool::~thread_pool() = default;
void thread_pool::set_threads(int) {}
int thread_pool::threads() const { return 1; }
void thread_pool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  grain = std::max<int64_t>(grain, 1);
  for (int64_t begin = 0; begin < n; begin += grain) body(begin, std::min(n, begin + grain));
}

#endif

}  // namespace wax
