// (internal) The file behind a SummaryWriter: a queue of summary values, encoded as Event
// messages and appended as TFRecords by a background thread (io/summary/summary.h says when).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "io/summary/event_reader.h"
#include "io/summary/summary.h"

namespace ember::summary::detail {

/// Seconds since the epoch, as an event's wall_time.
double wall_seconds();

/// One summary value to write, as TensorFlow 2 writes it: a tensor with a plugin's metadata.
struct SummaryRecord {
  std::string tag;
  std::string plugin_name;
  std::string plugin_content;
  std::string description;
  /// dtype "float32", "float64" or "string".
  TensorValue tensor;
  std::int64_t step = 0;
  double wall_time = 0.0;
};

class EventFileWriter {
 public:
  EventFileWriter(const std::string& logdir, const FileWriterOptions& options);
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;
  /// Closes the file; an error then is printed as a warning (a destructor cannot throw).
  ~EventFileWriter();

  const std::string& path() const { return path_; }
  /// Queues a value (IoError once closed, or when an earlier write failed).
  void add(SummaryRecord record);
  void flush();
  void close();

 private:
  void run();
  /// Appends the queue to the file; called with the lock held.
  void write_queue(std::unique_lock<std::mutex>& lock);
  void throw_if_failed() const;

  std::string path_;
  FileWriterOptions options_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::string> queue_;  // framed records
  bool closing_ = false, closed_ = false, writing_ = false;
  std::exception_ptr failure_;
  std::thread thread_;
};

}  // namespace ember::summary::detail
