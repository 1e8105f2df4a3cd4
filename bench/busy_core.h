// A competing program for benchmarks of a shared machine: a child process that spins on one core
// until the object is destroyed, as a compiler or a browser tab would keep that core busy.
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace ember::bench {

class BusyCore {
 public:
  explicit BusyCore(int core) : pid_(fork()) {
    if (pid_ < 0) {
      std::perror("BusyCore: fork");
      std::exit(1);
    }
    if (pid_ == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(core, &set);
      sched_setaffinity(0, sizeof set, &set);
      std::atomic<unsigned long> spins{0};  // an atomic: the loop is not optimised away
      for (;;) spins.fetch_add(1, std::memory_order_relaxed);
    }
  }
  ~BusyCore() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  BusyCore(const BusyCore&) = delete;
  BusyCore& operator=(const BusyCore&) = delete;

 private:
  pid_t pid_;
};

}  // namespace ember::bench
