// CudaBackend: one per GPU. All work of a device goes to one non-blocking stream in issue order,
// so no kernel waits for the host and the host waits only where it reads values back
// (copy_to_host) or asks to (synchronize). Memory comes from the device's stream-ordered pool,
// which keeps freed blocks cached for reuse (release threshold: never), so an op costs no
// cudaMalloc; where pools are missing, from a caching allocator over cudaMalloc
// (cuda/device_allocator.h).
#include "cuda/cuda_backend.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>

#include "core/config.h"
#include "core/error.h"
#include "cuda/cuda_check.h"
#include "cuda/cudnn_ops.h"
#include "cuda/device_allocators.h"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// cuBLAS's recommended workspace on Hopper; given once, so no call allocates (or breaks a CUDA
// graph capture by allocating).
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{32} << 20;

class Stream {
 public:
  Stream() { EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }
  ~Stream() {
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&& other) noexcept {
    std::swap(stream_, other.stream_);
    return *this;
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

class DeviceMemory {
 public:
  explicit DeviceMemory(std::size_t bytes) { EMBER_CUDA_CHECK(cudaMalloc(&data_, bytes)); }
  ~DeviceMemory() {
    if (data_ != nullptr) cudaFree(data_);
  }
  DeviceMemory(DeviceMemory&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  DeviceMemory& operator=(DeviceMemory&& other) noexcept {
    std::swap(data_, other.data_);
    return *this;
  }
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;
  void* get() const { return data_; }

 private:
  void* data_ = nullptr;
};

class CublasHandle {
 public:
  CublasHandle(cudaStream_t stream, const DeviceMemory& workspace) {
    EMBER_CUBLAS_CHECK(cublasCreate(&handle_));
    EMBER_CUBLAS_CHECK(cublasSetStream(handle_, stream));
    EMBER_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace.get(), kCublasWorkspaceBytes));
  }
  ~CublasHandle() {
    if (handle_ != nullptr) cublasDestroy(handle_);
  }
  CublasHandle(CublasHandle&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  CublasHandle& operator=(CublasHandle&& other) noexcept {
    std::swap(handle_, other.handle_);
    return *this;
  }
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  cublasHandle_t get() const { return handle_; }

 private:
  cublasHandle_t handle_ = nullptr;
};

/// The device the calling thread last selected through ember (-1: none yet). cudaSetDevice is
/// called only when it changes; code outside ember that selects another device on a thread
/// ember also uses must select it back (as with any library that caches the current device).
thread_local int current_device = -1;

void make_current(int index) {
  if (current_device == index) return;
  EMBER_CUDA_CHECK(cudaSetDevice(index));
  current_device = index;
}

// Makes `index` the calling thread's device and returns it; the first member initialiser of
// CudaBackend, so that its stream, allocator and handles belong to that device.
int select_device(int index) {
  make_current(index);
  return index;
}

int device_attribute(cudaDeviceAttr attribute, int index) {
  int value = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&value, attribute, index));
  return value;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int index)
      : index_(select_device(index)),
        workspace_(kCublasWorkspaceBytes),
        cublas_(stream_.get(), workspace_) {
    ctx_.stream = stream_.get();
    allocator_ = make_device_allocator(index_, ctx_.stream);
    ctx_.allocator = allocator_.get();
    ctx_.device = index_;
    ctx_.multiprocessors = device_attribute(cudaDevAttrMultiProcessorCount, index_);
  }

  Device device() const override { return Device::cuda(index_); }

  // --- memory ---------------------------------------------------------------------------------
  void* allocate(std::size_t bytes) override {
    if (bytes == 0) return nullptr;
    activate();
    void* ptr = allocator_->try_allocate(bytes);
    if (ptr == nullptr) {
      throw ResourceExhaustedError(cat("cuda:", index_, ": out of memory allocating ", bytes,
                                       " bytes (", allocated_bytes_.load(),
                                       " bytes held by live tensors, ", allocator_->name(),
                                       " allocator)"));
    }
    allocated_bytes_ += static_cast<std::int64_t>(bytes);
    return ptr;
  }

  // Never throws: tensors in static storage are freed during process exit, when the runtime may
  // already be unloading (cudaErrorCudartUnloading) and the memory goes with the process anyway.
  void deallocate(void* ptr, std::size_t bytes) override {
    if (ptr == nullptr) return;
    if (current_device == index_ || cudaSetDevice(index_) == cudaSuccess) {
      current_device = index_;
      allocator_->deallocate(ptr);
    }
    cudaGetLastError();
    allocated_bytes_ -= static_cast<std::int64_t>(bytes);
  }

  std::int64_t allocated_bytes() const override { return allocated_bytes_.load(); }

  // Pageable host memory is staged before cudaMemcpyAsync returns, so the caller may free it.
  void copy_from_host(void* dst, const void* host_src, std::size_t bytes) override {
    if (bytes == 0) return;
    activate();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, host_src, bytes, cudaMemcpyHostToDevice, ctx_.stream));
  }
  void copy_to_host(void* host_dst, const void* src, std::size_t bytes) override {
    if (bytes == 0) return;
    activate();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(host_dst, src, bytes, cudaMemcpyDeviceToHost, ctx_.stream));
    EMBER_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
  }
  void copy(void* dst, const void* src, std::size_t bytes) override {
    if (bytes == 0) return;
    activate();
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, ctx_.stream));
  }
  void synchronize() override {
    activate();
    EMBER_CUDA_CHECK(cudaStreamSynchronize(ctx_.stream));
  }
  void* native_stream() override { return ctx_.stream; }

  // --- kernels --------------------------------------------------------------------------------
  void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) override {
    activate();
    launch_fill(dtype, out, n, value, ctx_);
  }
  void cast(DType from, const void* x, DType to, void* y, std::int64_t n) override {
    activate();
    launch_cast(from, x, to, y, n, ctx_);
  }
  void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n,
             double param) override {
    activate();
    launch_unary(op, dtype, x, y, n, param, ctx_);
  }
  void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
              void* out, const StridedLayout& shape) override {
    activate();
    launch_binary(op, dtype, a, b, out, shape, ctx_);
  }
  void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
             const ElementwiseInput& y, void* out, const StridedLayout& shape) override {
    activate();
    launch_where(dtype, cond, x, y, out, shape, ctx_);
  }
  void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
              std::int64_t inner, std::int64_t mean_divisor) override {
    activate();
    launch_reduce(op, dtype, x, y, outer, r, inner, mean_divisor, ctx_);
  }
  void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                  std::int64_t r, std::int64_t inner) override {
    activate();
    launch_arg_reduce(op, dtype, x, y, outer, r, inner, ctx_);
  }
  void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
               std::int64_t inner) override {
    activate();
    launch_softmax(log, dtype, x, y, outer, n, inner, ctx_);
  }
  void gemm(const GemmArgs& args) override;
  void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                    void* dst, const StridedLayout& dst_layout) override {
    activate();
    launch_strided_copy(element_size, src, src_layout, dst, dst_layout, ctx_);
  }
  void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
              std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
              void* out) override {
    activate();
    launch_gather(element_size, x, outer, axis_size, inner, index_dtype, indices, count, out, ctx_);
  }
  void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                   std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                   void* out) override {
    activate();
    launch_scatter_add(dtype, updates, outer, axis_size, inner, index_dtype, indices, count, out,
                       config::op_determinism_enabled(), ctx_);
  }
  void optimizer_update(const OptimizerUpdateArgs& args) override {
    activate();
    launch_optimizer_update(args, ctx_);
  }
  void random(const RandomArgs& args) override {
    activate();
    launch_random(args, ctx_);
  }

  // --- convolution and batch normalization through cuDNN, pooling in pool.cu ----------------
  void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y) override {
    const std::lock_guard<std::mutex> lock(library_mutex_);
    cudnn().conv2d_forward(args, x, filter, y);
  }
  void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                            void* dx) override {
    const std::lock_guard<std::mutex> lock(library_mutex_);
    cudnn().conv2d_backward_data(args, filter, dy, dx);
  }
  void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                              void* dfilter) override {
    const std::lock_guard<std::mutex> lock(library_mutex_);
    cudnn().conv2d_backward_filter(args, x, dy, dfilter);
  }
  void pool2d_forward(const Pool2DArgs& args, const void* x, void* y) override {
    activate();
    launch_pool2d_forward(args, x, y, ctx_);
  }
  void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                       void* dx) override {
    activate();
    launch_pool2d_backward(args, x, y, dy, dx, ctx_);
  }
  void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                   const void* offset, void* y, void* mean, void* variance,
                                   void* inv_std) override {
    const std::lock_guard<std::mutex> lock(library_mutex_);
    cudnn().batch_norm_forward_training(args, x, scale, offset, y, mean, variance, inv_std);
  }
  void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                           const void* scale, const void* mean, const void* inv_std, void* dx,
                           void* dscale, void* doffset) override {
    const std::lock_guard<std::mutex> lock(library_mutex_);
    cudnn().batch_norm_backward(args, x, dy, scale, mean, inv_std, dx, dscale, doffset);
  }

 private:
  // The calling thread may have used another GPU since: every entry point selects ours.
  void activate() const { make_current(index_); }
  // With library_mutex_ held: cuDNN's handle, made on first use, so that a machine whose cuDNN
  // fails to load still runs everything but convolutions and batch normalization.
  CudnnOps& cudnn() {
    activate();
    if (!cudnn_) cudnn_ = std::make_unique<CudnnOps>(ctx_);
    return *cudnn_;
  }

  int index_;  // first: select_device() runs before the members below are created
  Stream stream_;
  DeviceMemory workspace_;
  CublasHandle cublas_;
  StreamContext ctx_;
  std::unique_ptr<DeviceAllocator> allocator_;
  // A cuBLAS or cuDNN handle must not be used by two threads at once (a Dataset's prefetch
  // thread runs ops too): gemm and every cuDNN call hold this.
  std::mutex library_mutex_;
  std::unique_ptr<CudnnOps> cudnn_;
  std::atomic<std::int64_t> allocated_bytes_{0};
};

void CudaBackend::gemm(const GemmArgs& g) {
  activate();
  if (g.m <= 0 || g.n <= 0 || g.batch <= 0) return;
  const bool floating = g.dtype == DType::float32 || g.dtype == DType::float64;
  if (!floating || g.k <= 0) {
    launch_gemm_tiled(g, ctx_);
    return;
  }
  // cuBLAS is column-major, and a row-major matrix is its transpose in column-major. So the
  // row-major C (m x n) is the column-major C^T (n x m) = op(B)^T op(A)^T: B goes first, the two
  // swap their sizes and leading dimensions, and each keeps its own transpose flag.
  const cublasOperation_t op_b = g.transpose_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = g.transpose_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const std::lock_guard<std::mutex> lock(library_mutex_);
  if (g.dtype == DType::float32) {
    const float alpha = 1.0f, beta = 0.0f;
    const cublasComputeType_t compute =
        g.allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx_64(
        cublas_.get(), op_b, op_a, g.n, g.m, g.k, &alpha, g.b, CUDA_R_32F, g.ldb, g.stride_b, g.a,
        CUDA_R_32F, g.lda, g.stride_a, &beta, g.c, CUDA_R_32F, g.ldc, g.stride_c, g.batch, compute,
        CUBLAS_GEMM_DEFAULT));
  } else {
    const double alpha = 1.0, beta = 0.0;
    EMBER_CUBLAS_CHECK(cublasDgemmStridedBatched_64(
        cublas_.get(), op_b, op_a, g.n, g.m, g.k, &alpha, static_cast<const double*>(g.b), g.ldb,
        g.stride_b, static_cast<const double*>(g.a), g.lda, g.stride_a, &beta,
        static_cast<double*>(g.c), g.ldc, g.stride_c, g.batch));
  }
}

}  // namespace

std::unique_ptr<Backend> make_backend(int device_index) {
  return std::make_unique<CudaBackend>(device_index);
}

int device_count() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // leave no error behind for the first launch check to report
    return 0;
  }
  return count;
}

bool device_properties(int index, int& major, int& minor, std::string& name) {
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, index) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  major = properties.major;
  minor = properties.minor;
  name = properties.name;
  return true;
}

std::string unavailable_reason() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    return cat(cudaGetErrorName(status), ": ", cudaGetErrorString(status));
  }
  if (count == 0) return "no CUDA device";
  return cat(count, " CUDA device(s) present");
}

}  // namespace ember::cuda
