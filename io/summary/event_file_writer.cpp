#include "io/summary/event_file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "core/error.h"

#if EMBER_WITH_TENSORBOARD
#include "io/summary/record_file.h"
#include "io/summary/tensorboard.pb.h"
#endif

namespace ember::summary::detail {

double wall_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

#if EMBER_WITH_TENSORBOARD
namespace {

namespace tb = ember::tensorboard;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

/// TensorFlow's name: events.out.tfevents.<seconds>.<host>.<pid>.<n per process><suffix>.
std::string event_file_name(const FileWriterOptions& options) {
  static std::atomic<std::int64_t> counter{0};
  return cat("events.out.tfevents.", static_cast<std::int64_t>(std::floor(wall_seconds())), ".",
             host_name(), ".", getpid(), ".", counter++, options.filename_suffix);
}

void fill_tensor(const TensorValue& value, tb::TensorProto& proto) {
  auto* shape = proto.mutable_tensor_shape();
  for (const auto size : value.shape) shape->add_dim()->set_size(size);
  std::string content;
  if (value.dtype == "float32") {
    proto.set_dtype(tb::DT_FLOAT);
    for (const double x : value.numbers) {
      const auto f = static_cast<float>(x);
      content.append(reinterpret_cast<const char*>(&f), sizeof f);
    }
    proto.set_tensor_content(content);
  } else if (value.dtype == "float64") {
    proto.set_dtype(tb::DT_DOUBLE);
    content.append(reinterpret_cast<const char*>(value.numbers.data()),
                   value.numbers.size() * sizeof(double));
    proto.set_tensor_content(content);
  } else if (value.dtype == "string") {
    proto.set_dtype(tb::DT_STRING);
    for (const auto& s : value.strings) proto.add_string_val(s);
  } else {
    internal_error(__FILE__, __LINE__, cat("summary tensor of dtype ", value.dtype));
  }
}

std::string encode(const SummaryRecord& record) {
  tb::Event event;
  event.set_wall_time(record.wall_time);
  event.set_step(record.step);
  auto* value = event.mutable_summary()->add_value();
  value->set_tag(record.tag);
  auto* metadata = value->mutable_metadata();
  metadata->mutable_plugin_data()->set_plugin_name(record.plugin_name);
  if (!record.plugin_content.empty())
    metadata->mutable_plugin_data()->set_content(record.plugin_content);
  if (!record.description.empty()) metadata->set_summary_description(record.description);
  fill_tensor(record.tensor, *value->mutable_tensor());
  return frame_record(event.SerializeAsString());
}

std::string file_version_record() {
  tb::Event event;
  // TensorFlow's first event carries whole seconds.
  event.set_wall_time(std::floor(wall_seconds()));
  event.set_file_version("brain.Event:2");
  event.mutable_source_metadata()->set_writer("ember");
  return frame_record(event.SerializeAsString());
}

void write_all(int fd, const std::string& bytes, const std::string& path) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw IoError(cat(path, ": cannot write: ", std::strerror(errno)));
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

EventFileWriter::EventFileWriter(const std::string& logdir, const FileWriterOptions& options)
    : options_(options) {
  if (options.max_queue < 0)
    throw Error(
        cat("summary::create_file_writer: max_queue must be >= 0, got ", options.max_queue));
  if (options.flush_millis <= 0)
    throw Error(
        cat("summary::create_file_writer: flush_millis must be > 0, got ", options.flush_millis));
  if (logdir.empty()) throw Error("summary::create_file_writer: logdir is empty");
  std::error_code error;
  std::filesystem::create_directories(logdir, error);
  if (error) throw IoError(cat(logdir, ": cannot create the log folder: ", error.message()));
  path_ = (std::filesystem::path(logdir) / event_file_name(options)).string();
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(cat(path_, ": cannot create: ", std::strerror(errno)));
  try {
    write_all(fd_, file_version_record(), path_);
  } catch (...) {
    ::close(fd_);
    throw;
  }
  thread_ = std::thread([this] { run(); });
}

EventFileWriter::~EventFileWriter() {
  try {
    close();
  } catch (const std::exception& e) {
    warn(cat("summary writer: ", e.what()));
  }
}

void EventFileWriter::throw_if_failed() const {
  if (failure_) std::rethrow_exception(failure_);
}

void EventFileWriter::add(SummaryRecord record) {
  std::string framed = encode(record);
  std::unique_lock lock(mutex_);
  if (closed_ || closing_) throw IoError(cat(path_, ": the summary writer is closed"));
  throw_if_failed();
  queue_.push_back(std::move(framed));
  if (static_cast<int>(queue_.size()) > options_.max_queue) wake_.notify_one();
}

void EventFileWriter::write_queue(std::unique_lock<std::mutex>& lock) {
  (void)lock;
  if (queue_.empty() || failure_) return;
  std::string bytes;
  for (const auto& record : queue_) bytes += record;
  queue_.clear();
  try {
    write_all(fd_, bytes, path_);
  } catch (...) {
    failure_ = std::current_exception();
  }
}

void EventFileWriter::run() {
  std::unique_lock lock(mutex_);
  while (!closing_) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_millis), [this] {
      return closing_ || static_cast<int>(queue_.size()) > options_.max_queue;
    });
    write_queue(lock);
  }
}

void EventFileWriter::flush() {
  std::unique_lock lock(mutex_);
  if (closed_) return;
  write_queue(lock);
  throw_if_failed();
}

void EventFileWriter::close() {
  {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    closing_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mutex_);
  write_queue(lock);
  closed_ = true;
  const bool synced = ::fsync(fd_) == 0;
  const int sync_errno = errno;
  ::close(fd_);
  fd_ = -1;
  throw_if_failed();
  if (!synced) throw IoError(cat(path_, ": cannot sync to disk: ", std::strerror(sync_errno)));
}

#else  // built without protobuf or ISA-L

EventFileWriter::EventFileWriter(const std::string& logdir, const FileWriterOptions&) {
  throw Error(cat("summary::create_file_writer(", logdir,
                  "): this ember was built without TensorBoard event files (install "
                  "libprotobuf-dev, protobuf-compiler and libisal-dev, and configure again)"));
}
EventFileWriter::~EventFileWriter() = default;
void EventFileWriter::add(SummaryRecord) {}
void EventFileWriter::flush() {}
void EventFileWriter::close() {}
void EventFileWriter::run() {}
void EventFileWriter::write_queue(std::unique_lock<std::mutex>&) {}
void EventFileWriter::throw_if_failed() const {}

#endif

}  // namespace ember::summary::detail
