// The CPU workers (kernels/thread_pool.h): a job is published by bumping a generation counter;
// workers claim its chunks from a shared counter, spin briefly between jobs and then sleep on the
// counter (std::atomic::wait, a futex on Linux). The caller works on its own job too, and waits
// for the workers that joined it before it returns, so a job never outlives its stack frame.
#include "kernels/thread_pool.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <new>
#include <thread>

#include "kernels/parallel.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace ember::cpu {
namespace {

/// How long an idle thread spins before it sleeps: long enough to catch the next op of a step
/// (eager dispatch takes microseconds), short enough that a shared core is given away at once.
constexpr std::chrono::microseconds kSpinTime{50};

void pause() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

/// Spins until ready() or kSpinTime has passed; says whether ready() became true.
template <class Ready>
bool spin_until(const Ready& ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int round = 0;; ++round) {
    if (ready()) return true;
    pause();
    if (round % 64 == 63 && std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

thread_local bool inside_task = false;  // a worker, or a caller running its chunks

struct Job {
  const ChunkTask* task = nullptr;
  std::int64_t chunks = 0;
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;  // written by the thread that set `failed`

  // Claims and runs chunks until none is left.
  void work() {
    for (;;) {
      const std::int64_t chunk = next.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= chunks) return;
      try {
        (*task)(chunk);
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  }
};

class ThreadPool {
 public:
  static ThreadPool& instance() {
    // Never destroyed: a worker may be asleep at exit, and ops may run in static destructors.
    static ThreadPool* pool = [] {
      auto* made = new ThreadPool;
      pthread_atfork(nullptr, nullptr, [] { instance().forget_workers_after_fork(); });
      return made;
    }();
    return *pool;
  }

  void run(std::int64_t chunks, const ChunkTask& task) {
    std::unique_lock<std::mutex> lock(busy_, std::try_to_lock);
    if (inside_task || !lock.owns_lock()) {
      run_inline(chunks, task);
      return;
    }
    add_workers(static_cast<int>(chunks) - 1);
    Job job;
    job.task = &task;
    job.chunks = chunks;
    job_.store(&job);
    generation_.fetch_add(1);
    generation_.notify_all();  // a system call only when a worker sleeps
    inside_task = true;
    job.work();
    inside_task = false;
    // Every chunk is claimed; wait for the workers still inside this job.
    job_.store(nullptr);
    if (!spin_until([&] { return active_.load() == 0; })) {
      for (int active = active_.load(); active != 0; active = active_.load()) active_.wait(active);
    }
    if (job.failed.load()) std::rethrow_exception(job.error);
  }

 private:
  static void run_inline(std::int64_t chunks, const ChunkTask& task) {
    const bool was_inside = inside_task;
    inside_task = true;
    try {
      for (std::int64_t c = 0; c < chunks; ++c) task(c);
    } catch (...) {
      inside_task = was_inside;
      throw;
    }
    inside_task = was_inside;
  }

  void add_workers(int wanted) {
    while (workers_ < wanted) {
      std::thread([this, seen = generation_.load()] { work_forever(seen); }).detach();
      ++workers_;
    }
  }

  void work_forever(std::uint64_t seen) {
    inside_task = true;  // a worker's tasks run nested calls inline
    for (;;) {
      if (!spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; }))
        generation_.wait(seen);
      seen = generation_.load(std::memory_order_acquire);
      // Joining before looking at the job: the caller's wait for active_ == 0 then covers us
      // (both orders are sequentially consistent).
      active_.fetch_add(1);
      if (Job* job = job_.load()) job->work();
      if (active_.fetch_sub(1) == 1) active_.notify_one();
    }
  }

  // A forked child has only the thread that forked: the workers are gone, and so is any job.
  void forget_workers_after_fork() {
    new (&busy_) std::mutex();
    workers_ = 0;
    active_.store(0);
    job_.store(nullptr);
  }

  std::mutex busy_;  // held by the caller whose job runs
  int workers_ = 0;  // guarded by busy_
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<Job*> job_{nullptr};
  std::atomic<int> active_{0};  // workers inside the current job
};

}  // namespace

void run_chunks(std::int64_t chunks, ChunkTask task) {
  if (chunks <= 1) {
    if (chunks == 1) task(0);
    return;
  }
  ThreadPool::instance().run(chunks, task);
}

}  // namespace ember::cpu
