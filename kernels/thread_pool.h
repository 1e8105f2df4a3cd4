// ember's CPU thread team: the workers that parallel_for and the oneDNN calls split an op across.
//
// Why not OpenMP's team: GNU OpenMP lets an idle thread spin for about 300 000 rounds (several
// milliseconds) before it sleeps, and reads its wait policy from the environment only when the
// program starts, before any of ember's code runs. On a machine whose cores are shared (a laptop,
// a 2-core machine beside a compiler) the spinning threads hold the cores that the thread they
// wait for needs: a lesson-7 step took 5 times longer with a busy process on one of 2 cores, and
// OMP_WAIT_POLICY=passive gave the time back. These workers spin for a few tens of microseconds
// (enough for back-to-back ops) and then sleep on a futex, so a waiting thread gives its core away
// at once, and a sleeping one has not used up its share when it is woken.
#pragma once

#include <cstdint>

namespace ember::cpu {

/// A non-owning reference to a callable task(chunk), cheap to pass (no allocation).
class ChunkTask {
 public:
  template <class F>
  explicit ChunkTask(const F& f)
      : object_(&f), call_([](const void* o, std::int64_t c) { (*static_cast<const F*>(o))(c); }) {}
  void operator()(std::int64_t chunk) const { call_(object_, chunk); }

 private:
  const void* object_;
  void (*call_)(const void*, std::int64_t);
};

/// Runs task(0), ..., task(chunks - 1), each once, on the calling thread and up to chunks - 1
/// workers, and returns when all have finished; the first exception a task throws is rethrown
/// here. A call from inside a task, or while another thread's call is running, runs its chunks
/// on the calling thread (no second team, no oversubscription).
void run_chunks(std::int64_t chunks, ChunkTask task);

}  // namespace ember::cpu
