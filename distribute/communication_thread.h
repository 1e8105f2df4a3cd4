// The thread that runs a strategy's collectives in the background (internal), so that the
// backward pass goes on computing while a bucket of gradients is summed over the replicas.
// Work runs in the order it was submitted: every replica submits the same collectives in the
// same order, which is what MPI needs.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/tensor.h"

namespace ember::distribute::detail {

class CommunicationThread {
 public:
  CommunicationThread();
  /// Runs what was submitted, then stops. A collective still waiting for other workers ends at
  /// the collective timeout.
  ~CommunicationThread();
  CommunicationThread(const CommunicationThread&) = delete;
  CommunicationThread& operator=(const CommunicationThread&) = delete;

  /// Queues `work`; its result (or its exception) comes through the future.
  std::future<std::vector<Tensor>> submit(std::function<std::vector<Tensor>()> work);

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::packaged_task<std::vector<Tensor>()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ember::distribute::detail
