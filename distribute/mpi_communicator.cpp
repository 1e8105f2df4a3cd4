// MPI_COMM_WORLD as a Communicator. Only this file sees MPI's headers (EMBER_WITH_MPI).
//
// Every collective is non-blocking (MPI_Iallreduce, MPI_Ibcast, MPI_Ibarrier) and polled, so a
// worker that dies or hangs cannot hang the others: after the timeout, or at once when another
// worker reports a failure, a worker sends a heartbeat to every other one and names those whose
// heartbeat does not come. mpirun aborts the whole job when a worker dies unless it was started
// with --enable-recovery; with it, the survivors throw ember::Error naming the lost ranks.
#include "distribute/mpi_communicator.h"

#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"

#if EMBER_WITH_MPI
#include <mpi.h>
#endif

namespace ember::distribute::detail {

int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  }
  return 0;
}

#if !EMBER_WITH_MPI

bool mpi_built() { return false; }

std::shared_ptr<Communicator> mpi_world(std::chrono::milliseconds) {
  throw Error(
      "MultiWorkerMirroredStrategy: ember was built without MPI (EMBER_MPI=OFF, or no MPI was "
      "found at configure: apt-get install libopenmpi-dev openmpi-bin, then build again)");
}

#else

bool mpi_built() { return true; }

namespace {

// The tag of the heartbeats that find the live workers after a failure; collectives use none.
constexpr int kHeartbeatTag = 0x3e11;
// The most elements one MPI call takes (its count is an int).
constexpr std::int64_t kMaxCount = std::int64_t{1} << 30;

std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) return cat("MPI error ", code);
  return std::string(text, static_cast<std::size_t>(length));
}

/// Calls f(first, count) for consecutive pieces of `n` elements that one MPI call can take.
template <class F>
void for_each_piece(std::int64_t n, F f) {
  for (std::int64_t at = 0; at < n; at += kMaxCount) {
    f(at, static_cast<int>(std::min(kMaxCount, n - at)));
  }
}

/// MPI itself: initialised once per process, finalised at exit unless a failure left
/// collectives pending (MPI_Finalize would wait for them).
struct MpiRuntime {
  bool initialised_here = false;
  bool broken = false;
  MpiRuntime() {
    int done = 0;
    MPI_Initialized(&done);
    if (done) return;
    int provided = 0;
    const int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) throw Error(cat("MPI_Init_thread failed: ", mpi_error_text(rc)));
    initialised_here = true;
  }
  ~MpiRuntime() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (initialised_here && !finalized && !broken) MPI_Finalize();
  }
};

MpiRuntime& runtime() {
  static MpiRuntime instance;
  return instance;
}

/// The MPI type a dtype travels as; 16-bit floats and bools travel widened (see wire_dtype).
MPI_Datatype mpi_type(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return MPI_FLOAT;
    case DType::float64:
      return MPI_DOUBLE;
    case DType::int32:
      return MPI_INT32_T;
    case DType::int64:
      return MPI_INT64_T;
    case DType::uint8:
      return MPI_UINT8_T;
    default:
      throw DTypeError(cat("MPI collective: no MPI type for ", dtype));
  }
}

/// float16 and bfloat16 have no MPI type (and summing them in 16 bits would lose the small
/// replicas' contributions): they are reduced in float32. bool is reduced as int32.
DType wire_dtype(DType dtype) {
  if (is_half(dtype)) return DType::float32;
  if (dtype == DType::bool_) return DType::int32;
  return dtype;
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(std::chrono::milliseconds timeout) : timeout_(timeout) {
    runtime();
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    // Errors come back as codes, to be reported as ember::Error with the ranks named.
    check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized && !runtime().broken) MPI_Comm_free(&comm_);
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }

  std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors, ReduceOp op) override {
    const std::lock_guard lock(mutex_);
    std::vector<Tensor> sent, received;
    std::vector<MPI_Request> requests;
    for (const Tensor& t : tensors) {
      ember::detail::check_defined(t, "all_reduce");
      const Tensor host = to_wire(t);
      const Tensor out = ember::detail::empty(host.shape(), host.dtype(), Device::cpu());
      const std::size_t element = dtype_size(host.dtype());
      for_each_piece(host.size(), [&](std::int64_t at, int count) {
        MPI_Request request;
        check(MPI_Iallreduce(static_cast<const char*>(host.raw_data()) + at * element,
                             static_cast<char*>(ember::detail::mutable_data(out)) + at * element,
                             count, mpi_type(host.dtype()), op == ReduceOp::sum ? MPI_SUM : MPI_MAX,
                             comm_, &request),
              "MPI_Iallreduce");
        requests.push_back(request);
      });
      sent.push_back(host);
      received.push_back(out);
    }
    wait(requests, "all_reduce", sent, received);
    std::vector<Tensor> results;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      results.push_back(from_wire(received[i], tensors[i]));
    return results;
  }

  std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int root) override {
    const std::lock_guard lock(mutex_);
    check_root(root, "broadcast");
    std::vector<Tensor> buffers;
    std::vector<MPI_Request> requests;
    for (const Tensor& t : tensors) {
      ember::detail::check_defined(t, "broadcast");
      const Tensor host = to_wire(t);
      // A buffer of its own: MPI writes the root's values into it on the other workers.
      const Tensor buffer = ember::detail::empty(host.shape(), host.dtype(), Device::cpu());
      const std::size_t element = dtype_size(host.dtype());
      char* data = static_cast<char*>(ember::detail::mutable_data(buffer));
      if (rank_ == root && host.size() > 0) {
        std::memcpy(data, host.raw_data(), static_cast<std::size_t>(host.size()) * element);
      }
      for_each_piece(host.size(), [&](std::int64_t at, int count) {
        MPI_Request request;
        check(MPI_Ibcast(data + at * element, count, mpi_type(host.dtype()), root, comm_, &request),
              "MPI_Ibcast");
        requests.push_back(request);
      });
      buffers.push_back(buffer);
    }
    wait(requests, "broadcast", {}, buffers);
    std::vector<Tensor> results;
    for (std::size_t i = 0; i < tensors.size(); ++i)
      results.push_back(from_wire(buffers[i], tensors[i]));
    return results;
  }

  std::string broadcast_bytes(const std::string& bytes, int root) override {
    const std::lock_guard lock(mutex_);
    check_root(root, "broadcast_bytes");
    std::int64_t length = rank_ == root ? static_cast<std::int64_t>(bytes.size()) : 0;
    MPI_Request request;
    check(MPI_Ibcast(&length, 1, MPI_INT64_T, root, comm_, &request), "MPI_Ibcast");
    std::vector<MPI_Request> requests{request};
    wait(requests, "broadcast_bytes", {}, {});
    if (length < 0 || length > std::numeric_limits<int>::max()) {
      throw Error(cat("broadcast_bytes: rank ", root, " sent a length of ", length,
                      " bytes; at most ", std::numeric_limits<int>::max(), " go in one broadcast"));
    }
    // Kept alive past a failure like the tensors' buffers (see wait).
    const Tensor buffer = ember::detail::empty(Shape{length}, DType::uint8, Device::cpu());
    char* data = static_cast<char*>(ember::detail::mutable_data(buffer));
    if (rank_ == root && length > 0) std::memcpy(data, bytes.data(), bytes.size());
    check(MPI_Ibcast(data, static_cast<int>(length), MPI_BYTE, root, comm_, &request),
          "MPI_Ibcast");
    requests = {request};
    wait(requests, "broadcast_bytes", {}, {buffer});
    return std::string(data, static_cast<std::size_t>(length));
  }

  void barrier() override {
    const std::lock_guard lock(mutex_);
    MPI_Request request;
    check(MPI_Ibarrier(comm_, &request), "MPI_Ibarrier");
    std::vector<MPI_Request> requests{request};
    wait(requests, "barrier", {}, {});
  }

 private:
  static Tensor to_wire(const Tensor& t) {
    const DType wire = wire_dtype(t.dtype());
    const Tensor widened = wire == t.dtype() ? t : cast(t, wire);
    return widened.to(Device::cpu());
  }
  static Tensor from_wire(const Tensor& wire, const Tensor& like) {
    const Tensor narrowed = wire.dtype() == like.dtype() ? wire : cast(wire, like.dtype());
    return narrowed.to(like.device());
  }

  void check_root(int root, const char* what) const {
    if (root < 0 || root >= size_) {
      throw Error(cat(what, ": root rank ", root, " is not in the group of ", size_, " workers"));
    }
  }

  void check(int rc, const char* call) {
    if (rc != MPI_SUCCESS) fail(call, cat(call, " failed: ", mpi_error_text(rc)));
  }

  /// Polls `requests` until all complete; on a timeout, an MPI error or another worker's
  /// failure report, names the lost workers and throws. `sent` and `received` are the buffers
  /// the requests use: kept alive if they never complete, since MPI may still write them.
  void wait(std::vector<MPI_Request>& requests, const char* what, const std::vector<Tensor>& sent,
            const std::vector<Tensor>& received) {
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t polls = 0;; ++polls) {
      int done = 0;
      const int rc = MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done,
                                 MPI_STATUSES_IGNORE);
      if (rc == MPI_SUCCESS && done) return;
      std::string why;
      if (rc != MPI_SUCCESS) {
        why = cat("MPI reported ", mpi_error_text(rc));
      } else if (const int reporter = failure_reported(); reporter >= 0) {
        why = cat("rank ", reporter, " reported a failure");
      } else if (std::chrono::steady_clock::now() - start > timeout_) {
        why = cat("waited ", seconds(timeout_), " s (the collective timeout) for the others");
      }
      if (!why.empty()) {
        static std::vector<Tensor>* graveyard =
            new std::vector<Tensor>();  // never freed: see above
        graveyard->insert(graveyard->end(), sent.begin(), sent.end());
        graveyard->insert(graveyard->end(), received.begin(), received.end());
        fail(what, why);
      }
      // Spin briefly (a collective usually completes within microseconds), then sleep.
      if (polls > 2000)
        std::this_thread::sleep_for(std::chrono::microseconds(polls > 20000 ? 1000 : 50));
    }
  }

  /// The rank whose heartbeat has arrived (it is handling a failure), or -1.
  int failure_reported() {
    int flag = 0;
    MPI_Status status;
    if (MPI_Iprobe(MPI_ANY_SOURCE, kHeartbeatTag, comm_, &flag, &status) != MPI_SUCCESS || !flag) {
      return -1;
    }
    return status.MPI_SOURCE;
  }

  static double seconds(std::chrono::milliseconds d) {
    return static_cast<double>(d.count()) / 1000.0;
  }

  /// Sends a heartbeat to every other worker and waits a short while for theirs: the ranks
  /// whose heartbeat does not come are the lost ones.
  std::vector<int> unanswering_ranks() {
    // Never freed: a send to a dead worker, or the receive from it, never completes.
    auto* outgoing = new std::vector<int>(static_cast<std::size_t>(size_), rank_);
    auto* incoming = new std::vector<int>(static_cast<std::size_t>(size_), -1);
    std::vector<MPI_Request> receives(static_cast<std::size_t>(size_), MPI_REQUEST_NULL);
    for (int peer = 0; peer < size_; ++peer) {
      if (peer == rank_) continue;
      MPI_Request send;
      MPI_Isend(&(*outgoing)[peer], 1, MPI_INT, peer, kHeartbeatTag, comm_, &send);
      MPI_Request_free(&send);
      MPI_Irecv(&(*incoming)[peer], 1, MPI_INT, peer, kHeartbeatTag, comm_, &receives[peer]);
    }
    const auto grace = std::min<std::chrono::milliseconds>(timeout_, std::chrono::seconds(5));
    const auto start = std::chrono::steady_clock::now();
    std::vector<bool> answered(static_cast<std::size_t>(size_), false);
    answered[static_cast<std::size_t>(rank_)] = true;
    while (std::chrono::steady_clock::now() - start < grace) {
      bool all = true;
      for (int peer = 0; peer < size_; ++peer) {
        if (answered[peer]) continue;
        int flag = 0;
        if (MPI_Test(&receives[peer], &flag, MPI_STATUS_IGNORE) == MPI_SUCCESS && flag) {
          answered[peer] = true;
        } else {
          all = false;
        }
      }
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::vector<int> lost;
    for (int peer = 0; peer < size_; ++peer) {
      if (!answered[peer]) lost.push_back(peer);
    }
    return lost;
  }

  [[noreturn]] void fail(const char* what, const std::string& why) {
    if (comm_ == MPI_COMM_NULL) throw Error(cat("MultiWorkerMirroredStrategy: ", why));
    runtime().broken = true;
    const std::vector<int> lost = unanswering_ranks();
    std::string names;
    for (int r : lost) names += cat(names.empty() ? "" : ", ", r);
    throw Error(
        cat("MultiWorkerMirroredStrategy ", what, ": rank ", rank_, " of ", size_, ": ", why, "; ",
            lost.empty() ? std::string("every other rank answered")
                         : cat(lost.size() == 1 ? "lost rank " : "lost ranks ", names,
                               " (no answer within the grace period: exited, killed or stuck)"),
            ". Training stops; start the job again (callbacks::BackupAndRestore resumes it)"));
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  std::chrono::milliseconds timeout_;
  std::mutex mutex_;
};

}  // namespace

std::shared_ptr<Communicator> mpi_world(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    throw Error(cat("MultiWorkerMirroredStrategy: the collective timeout must be positive, got ",
                    timeout.count(), " ms"));
  }
  return std::make_shared<MpiCommunicator>(timeout);
}

#endif

}  // namespace ember::distribute::detail
