// NCCL as a Communicator. Only this file sees NCCL's headers (EMBER_WITH_NCCL).
//
// A collective is queued on ember's stream of the tensors' device, so it runs after the ops that
// made them and before the ops that use its results; the host then polls the stream and NCCL's
// asynchronous error until it finishes or the timeout passes (NCCL itself would wait for ever on
// a lost peer). That poll makes each collective a synchronisation point: the price of a
// collective that cannot hang.
#include "distribute/nccl_communicator.h"

#include <cstring>
#include <thread>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"

#if EMBER_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace ember::distribute::detail {

#if !EMBER_WITH_NCCL

bool nccl_built() { return false; }

std::shared_ptr<Communicator> nccl_group(std::shared_ptr<Communicator>, const Device&,
                                         std::chrono::milliseconds) {
  throw Error(
      "NCCL communicator: ember was built without NCCL (EMBER_NCCL=OFF, no CUDA backend, or no "
      "nccl.h / libnccl found at configure)");
}

#else

bool nccl_built() { return true; }

namespace {

ncclDataType_t nccl_type(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return ncclFloat32;
    case DType::float64:
      return ncclFloat64;
    case DType::float16:
      return ncclFloat16;
    case DType::bfloat16:
      return ncclBfloat16;
    case DType::int32:
      return ncclInt32;
    case DType::int64:
      return ncclInt64;
    case DType::uint8:
    case DType::bool_:
      return ncclUint8;
  }
  throw DTypeError(cat("NCCL collective: no NCCL type for ", dtype));
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(std::shared_ptr<Communicator> bootstrap, const Device& device,
                   std::chrono::milliseconds timeout)
      : bootstrap_(std::move(bootstrap)), device_(device), timeout_(timeout) {
    if (!device.is_cuda()) {
      throw DeviceError(cat("NCCL communicator: needs a CUDA device, got ", device));
    }
    check_device(device);
    // Rank 0 makes the id; the bootstrap gives it to everyone.
    ncclUniqueId id;
    std::string bytes;
    if (bootstrap_->rank() == 0) {
      check(ncclGetUniqueId(&id), "ncclGetUniqueId");
      bytes.assign(reinterpret_cast<const char*>(&id), sizeof id);
    }
    bytes = bootstrap_->broadcast_bytes(bytes, 0);
    if (bytes.size() != sizeof id) {
      throw Error(cat("NCCL communicator: rank 0 sent a unique id of ", bytes.size(),
                      " bytes, expected ", sizeof id));
    }
    std::memcpy(&id, bytes.data(), sizeof id);
    cuda(cudaSetDevice(device.index), "cudaSetDevice");
    check(ncclCommInitRank(&comm_, bootstrap_->size(), id, bootstrap_->rank()), "ncclCommInitRank");
  }
  ~NcclCommunicator() override {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
  }

  int rank() const override { return bootstrap_->rank(); }
  int size() const override { return bootstrap_->size(); }
  std::string name() const override { return "nccl"; }

  std::vector<Tensor> all_reduce(const std::vector<Tensor>& tensors, ReduceOp op) override {
    if (!on_device(tensors)) return bootstrap_->all_reduce(tensors, op);
    return collective(tensors, "all_reduce", [&](const Tensor& t, void* out, cudaStream_t stream) {
      check(
          ncclAllReduce(t.raw_data(), out, static_cast<std::size_t>(t.size()), nccl_type(t.dtype()),
                        op == ReduceOp::sum ? ncclSum : ncclMax, comm_, stream),
          "ncclAllReduce");
    });
  }

  std::vector<Tensor> broadcast(const std::vector<Tensor>& tensors, int root) override {
    if (!on_device(tensors)) return bootstrap_->broadcast(tensors, root);
    return collective(tensors, "broadcast", [&](const Tensor& t, void* out, cudaStream_t stream) {
      check(ncclBroadcast(t.raw_data(), out, static_cast<std::size_t>(t.size()),
                          nccl_type(t.dtype()), root, comm_, stream),
            "ncclBroadcast");
    });
  }

  std::string broadcast_bytes(const std::string& bytes, int root) override {
    return bootstrap_->broadcast_bytes(bytes, root);
  }
  void barrier() override { bootstrap_->barrier(); }

 private:
  /// One NCCL call per tensor, `enqueue(t, result, stream)`, in one group on ember's stream,
  /// waited for (see wait); the results are new tensors.
  template <class Enqueue>
  std::vector<Tensor> collective(const std::vector<Tensor>& tensors, const char* what,
                                 Enqueue enqueue) {
    std::vector<Tensor> out;
    void* stream = nullptr;
    check(ncclGroupStart(), "ncclGroupStart");
    for (const Tensor& t : tensors) {
      const Tensor result = ember::detail::empty(t.shape(), t.dtype(), t.device());
      stream = ember::detail::backend_of(t).native_stream();
      if (t.size() > 0) {
        enqueue(t, ember::detail::mutable_data(result), static_cast<cudaStream_t>(stream));
      }
      out.push_back(result);
    }
    check(ncclGroupEnd(), "ncclGroupEnd");
    wait(stream, what);
    return out;
  }

  /// Whether every tensor is on this worker's GPU (then NCCL carries them); tensors elsewhere
  /// go through the bootstrap, and a mix is an error.
  bool on_device(const std::vector<Tensor>& tensors) const {
    std::size_t here = 0;
    for (const Tensor& t : tensors) {
      ember::detail::check_defined(t, "NCCL collective");
      if (t.device() == device_) ++here;
    }
    if (here != 0 && here != tensors.size()) {
      throw DeviceError(cat("NCCL collective: ", here, " of ", tensors.size(), " tensors are on ",
                            device_, "; give them all on one device"));
    }
    return here != 0;
  }

  void check(ncclResult_t rc, const char* call) const {
    if (rc != ncclSuccess && rc != ncclInProgress) {
      throw Error(cat("NCCL communicator: ", call, " failed on rank ", rank(), ": ",
                      ncclGetErrorString(rc), " (", ncclGetLastError(comm_), ")"));
    }
  }
  static void cuda(cudaError_t rc, const char* call) {
    if (rc != cudaSuccess) {
      throw DeviceError(cat("NCCL communicator: ", call, " failed: ", cudaGetErrorString(rc)));
    }
  }
  static void check_device(const Device& device) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || device.index >= count) {
      throw DeviceError(
          cat("NCCL communicator: ", device, " is not present (", count, " CUDA devices here)"));
    }
  }

  /// Polls the stream and NCCL's error until the collective has finished; aborts the NCCL
  /// communicator on a timeout or an error (the only way out of a collective whose peer is
  /// lost) and throws.
  void wait(void* stream, const char* what) {
    if (stream == nullptr) return;
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t polls = 0;; ++polls) {
      const cudaError_t state = cudaStreamQuery(static_cast<cudaStream_t>(stream));
      if (state == cudaSuccess) return;
      if (state != cudaErrorNotReady) cuda(state, "cudaStreamQuery");
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      const bool late = std::chrono::steady_clock::now() - start > timeout_;
      if (async != ncclSuccess || late) {
        ncclCommAbort(comm_);
        comm_ = nullptr;
        throw Error(cat("NCCL communicator ", what, ": rank ", rank(), " of ", size(), ": ",
                        late ? cat("not finished after ", timeout_.count(),
                                   " ms (the collective "
                                   "timeout): a peer is lost or stuck")
                             : cat("NCCL reported ", ncclGetErrorString(async)),
                        "; the communicator is aborted"));
      }
      if (polls > 2000) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  std::shared_ptr<Communicator> bootstrap_;
  Device device_;
  std::chrono::milliseconds timeout_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::shared_ptr<Communicator> nccl_group(std::shared_ptr<Communicator> bootstrap,
                                         const Device& device, std::chrono::milliseconds timeout) {
  if (!bootstrap) throw Error("NCCL communicator: no bootstrap communicator given");
  return std::make_shared<NcclCommunicator>(std::move(bootstrap), device, timeout);
}

#endif

}  // namespace ember::distribute::detail
