// ember's CPU workers (kernels/thread_pool.h): every chunk runs once, errors come back, nested
// and concurrent calls run inline, a forked child can still compute, and idle workers sleep.
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernels/parallel.h"
#include "tests/test_support.h"

namespace ember::cpu {
namespace {

// Two threads for the team, whatever the machine; the setting is restored afterwards.
class TwoThreads : public ::testing::Test {
 protected:
  void SetUp() override { config::set_intra_op_parallelism_threads(2); }
  void TearDown() override { config::set_intra_op_parallelism_threads(0); }
};

TEST_F(TwoThreads, EveryChunkRunsExactlyOnce) {
  for (int round = 0; round < 3000; ++round) {
    const std::int64_t chunks = 2 + round % 7;
    std::vector<std::atomic<int>> runs(static_cast<std::size_t>(chunks));
    const auto task = [&](std::int64_t c) { ++runs[static_cast<std::size_t>(c)]; };
    run_chunks(chunks, ChunkTask(task));
    for (const auto& count : runs) ASSERT_EQ(count.load(), 1) << "round " << round;
  }
}

TEST_F(TwoThreads, ParallelForCoversTheRangeOnce) {
  const std::int64_t n = 1000003;
  std::vector<unsigned char> seen(static_cast<std::size_t>(n), 0);
  parallel_for(n, 1000, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) ++seen[static_cast<std::size_t>(i)];
  });
  for (std::int64_t i = 0; i < n; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << i;
}

TEST_F(TwoThreads, AChunkBlockedOnTheCallerGoesToAWorker) {
  // Each chunk waits (up to 5 s) for the other to start: the caller is held in its first chunk,
  // so only a worker can have taken the second.
  std::mutex mutex;
  std::set<std::thread::id> threads;
  const auto task = [&](std::int64_t) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      threads.insert(std::this_thread::get_id());
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (threads.size() == 2) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  run_chunks(2, ChunkTask(task));
  EXPECT_EQ(threads.size(), 2u);
}

TEST_F(TwoThreads, AnExceptionInAChunkReachesTheCaller) {
  std::atomic<int> finished{0};
  const auto failing = [&](std::int64_t c) {
    if (c == 1) throw std::runtime_error("chunk 1 failed");
    ++finished;
  };
  testing::expect_error<std::runtime_error>([&] { run_chunks(4, ChunkTask(failing)); },
                                            {"chunk 1 failed"});
  EXPECT_EQ(finished.load(), 3);  // the other chunks still ran
  std::atomic<int> after{0};
  const auto counting = [&](std::int64_t) { ++after; };
  run_chunks(4, ChunkTask(counting));  // the team still works
  EXPECT_EQ(after.load(), 4);
}

TEST_F(TwoThreads, NestedAndConcurrentCallsRunInline) {
  std::atomic<int> inner_runs{0}, inline_inner{0};
  const auto outer = [&](std::int64_t) {
    const auto id = std::this_thread::get_id();
    const auto inner = [&](std::int64_t) {
      ++inner_runs;
      if (std::this_thread::get_id() == id) ++inline_inner;
    };
    run_chunks(3, ChunkTask(inner));
  };
  run_chunks(2, ChunkTask(outer));
  EXPECT_EQ(inner_runs.load(), 6);
  EXPECT_EQ(inline_inner.load(), 6);
  // Two threads calling at once both get every chunk done.
  std::atomic<int> total{0};
  const auto many = [&] {
    for (int i = 0; i < 500; ++i) {
      const auto task = [&](std::int64_t) { ++total; };
      run_chunks(3, ChunkTask(task));
    }
  };
  std::thread other(many);
  many();
  other.join();
  EXPECT_EQ(total.load(), 3000);
}

TEST_F(TwoThreads, AForkedChildComputesWithoutTheParentsWorkers) {
  std::atomic<int> warm{0};
  const auto task = [&](std::int64_t) { ++warm; };
  run_chunks(2, ChunkTask(task));  // the parent's workers exist
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::atomic<int> runs{0};
    const auto in_child = [&](std::int64_t) { ++runs; };
    run_chunks(2, ChunkTask(in_child));
    _exit(runs.load() == 2 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

TEST_F(TwoThreads, IdleWorkersSleep) {
  std::atomic<int> runs{0};
  const auto task = [&](std::int64_t) { ++runs; };
  run_chunks(2, ChunkTask(task));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the short spin
  const double before = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // A spinning worker would use about 0.3 s of CPU here.
  EXPECT_LT(process_cpu_seconds() - before, 0.05);
}

}  // namespace
}  // namespace ember::cpu
