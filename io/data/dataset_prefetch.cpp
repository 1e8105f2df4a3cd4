// prefetch(): a producer thread that runs the input pipeline ahead of the consumer.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "core/config.h"
#include "core/device.h"
#include "io/data/dataset_pipeline.h"

namespace ember::io::pipeline {
namespace {

// The producer reads the input into a queue of at most `capacity` elements; next() takes from
// it. The thread is started by the constructor and stopped and joined by the destructor, so a
// consumer that stops early (break out of a loop, an exception) never leaves it running.
class PrefetchStream final : public ElementStream {
 public:
  PrefetchStream(std::unique_ptr<ElementStream> input, std::int64_t capacity)
      : input_(std::move(input)),
        capacity_(static_cast<std::size_t>(capacity)),
        device_(default_device()),
        producer_([this] { produce(); }) {}

  ~PrefetchStream() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    space_.notify_all();
    producer_.join();
  }

  std::optional<Element> next() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return !queue_.empty() || finished_; });
    if (!queue_.empty()) {
      Element element = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      space_.notify_one();
      return element;
    }
    // The elements made before the failure were delivered first; the error is reported once.
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return std::nullopt;
  }

 private:
  void produce() {
    std::exception_ptr error;
    try {
      // Ops in a map() create tensors on the default device: the consumer's, not the thread's.
      DeviceScope scope(device_);
      for (;;) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          space_.wait(lock, [this] { return stopping_ || queue_.size() < capacity_; });
          if (stopping_) return;
        }
        std::optional<Element> element = input_->next();
        if (!element) break;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          queue_.push_back(std::move(*element));
        }
        ready_.notify_one();
      }
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      error_ = error;
      finished_ = true;
    }
    ready_.notify_all();
  }

  std::unique_ptr<ElementStream> input_;  // used by the producer thread only
  std::size_t capacity_;
  Device device_;
  std::mutex mutex_;
  std::condition_variable ready_;  // an element or the end is available
  std::condition_variable space_;  // the queue has room, or the consumer is leaving
  std::deque<Element> queue_;
  bool finished_ = false;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread producer_;  // last: starts once every other member exists
};

// A place for one producer thread among those config::set_inter_op_parallelism_threads allows.
class ProducerSlot {
 public:
  /// A slot, or none when the setting allows no more producer threads now.
  static std::optional<ProducerSlot> take() {
    const int setting = config::get_inter_op_parallelism_threads();
    int now = running().load();
    while (setting == 0 || now < setting - 1)
      if (running().compare_exchange_weak(now, now + 1)) return ProducerSlot();
    return std::nullopt;
  }
  ProducerSlot(ProducerSlot&& other) noexcept : held_(std::exchange(other.held_, false)) {}
  ProducerSlot& operator=(ProducerSlot&&) = delete;
  ~ProducerSlot() {
    if (held_) running().fetch_sub(1);
  }

 private:
  ProducerSlot() = default;
  static std::atomic<int>& running() {
    static std::atomic<int> count{0};
    return count;
  }
  bool held_ = true;
};

// A prefetching stream that holds its producer's slot while it lives.
class SlottedPrefetchStream final : public ElementStream {
 public:
  SlottedPrefetchStream(ProducerSlot slot, std::unique_ptr<ElementStream> input,
                        std::int64_t capacity)
      : slot_(std::move(slot)), stream_(std::move(input), capacity) {}
  std::optional<Element> next() override { return stream_.next(); }

 private:
  ProducerSlot slot_;  // released after stream_'s destructor has joined the thread
  PrefetchStream stream_;
};

class PrefetchNode final : public Node {
 public:
  PrefetchNode(NodePtr input, std::int64_t capacity)
      : input_(std::move(input)), capacity_(capacity) {}
  std::unique_ptr<ElementStream> open() const override {
    // Without a slot the input runs inline: next() produces the element on the consumer's thread.
    std::optional<ProducerSlot> slot = ProducerSlot::take();
    if (!slot) return input_->open();
    return std::make_unique<SlottedPrefetchStream>(std::move(*slot), input_->open(), capacity_);
  }
  std::int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  std::int64_t capacity_;
};

}  // namespace

NodePtr prefetch_node(NodePtr input, std::int64_t buffer_size) {
  return std::make_shared<PrefetchNode>(std::move(input), buffer_size);
}

}  // namespace ember::io::pipeline
