#include "distribute/communication_thread.h"

namespace ember::distribute::detail {

CommunicationThread::CommunicationThread() : thread_([this] { run(); }) {}

CommunicationThread::~CommunicationThread() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

std::future<std::vector<Tensor>> CommunicationThread::submit(
    std::function<std::vector<Tensor>()> work) {
  std::packaged_task<std::vector<Tensor>()> task(std::move(work));
  std::future<std::vector<Tensor>> result = task.get_future();
  {
    const std::lock_guard lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return result;
}

void CommunicationThread::run() {
  for (;;) {
    std::packaged_task<std::vector<Tensor>()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // an exception goes to the task's future
  }
}

}  // namespace ember::distribute::detail
