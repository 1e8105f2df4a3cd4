// The primitives a device must provide (internal). Ops (core/ops/*.cpp) check their arguments, then
// call the backend of their inputs' device; nothing above core/ knows which backend runs. The CPU
// backend lives in kernels/, the CUDA backend in cuda/. Arguments are plain pointers into device
// memory plus the small structs of core/backend/kernel_types.h, already validated by the op layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/backend/kernel_types.h"
#include "core/device.h"

namespace ember {

/// The primitives a backend may run on float16 and bfloat16 itself (the matrix engines: AMX,
/// AVX-512 BF16/FP16, tensor cores). The others reach a backend widened to float32 by
/// core/backend/half_precision_backend.h, which rounds their results back once.
enum class HalfPrimitive : std::uint8_t {
  gemm,
  conv2d,
  elementwise,  // unary and binary, computed in float32 registers and rounded on the store
  pooling,      // max and average pooling, forward and backward
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;

  /// Whether `primitive` runs natively on `dtype` (float16 or bfloat16), accumulating in float32.
  /// fill, cast, where, the copies and gather always take 16-bit dtypes (they only move bits);
  /// every other primitive gets them widened to float32 unless this says so.
  virtual bool runs_natively(HalfPrimitive primitive, DType dtype) const {
    (void)primitive;
    (void)dtype;
    return false;
  }

  // --- memory -------------------------------------------------------------------------------
  virtual void* allocate(std::size_t bytes) = 0;
  virtual void deallocate(void* ptr, std::size_t bytes) = 0;
  /// Bytes currently held by live tensors on this device (not counting allocator caches).
  virtual std::int64_t allocated_bytes() const = 0;
  virtual void copy_from_host(void* dst, const void* host_src, std::size_t bytes) = 0;
  /// Waits for the work that produces `src`, then copies.
  virtual void copy_to_host(void* host_dst, const void* src, std::size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
  /// Waits until all work queued on this device has finished.
  virtual void synchronize() = 0;
  /// The queue this backend issues its work on, for libraries that join it (NCCL): a CUDA
  /// device's cudaStream_t; nullptr for the CPU.
  virtual void* native_stream() { return nullptr; }

  // --- elementwise --------------------------------------------------------------------------
  virtual void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) = 0;
  virtual void cast(DType from, const void* x, DType to, void* y, std::int64_t n) = 0;
  /// y = op(x) for n contiguous elements; `param` is the alpha of leaky_relu and elu.
  virtual void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n,
                     double param) = 0;
  /// out = op(a, b) over the contiguous output `shape`; inputs are broadcast through their
  /// layouts. `dtype` is the inputs' type; comparisons and logical ops write bool.
  virtual void binary(BinaryOp op, DType dtype, const ElementwiseInput& a,
                      const ElementwiseInput& b, void* out, const StridedLayout& shape) = 0;
  /// out = cond ? x : y, broadcast like binary(); cond is bool, x/y/out are `dtype`.
  virtual void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
                     const ElementwiseInput& y, void* out, const StridedLayout& shape) = 0;

  // --- reductions over the middle axis of x viewed as [outer, r, inner] -----------------------
  /// y[o, i] = reduce over j of x[o, j, i]. `mean` divides the sum by `mean_divisor` (which the op
  /// layer sets to the count of all reduced elements when it reduces several axes in turn).
  /// Floating sums accumulate in float64 or pairwise, so 10^7 float32 terms stay accurate.
  virtual void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer,
                      std::int64_t r, std::int64_t inner, std::int64_t mean_divisor) = 0;
  /// y[o, i] = index j of the max (min) of x[o, j, i]; first index on ties; NaN wins.
  virtual void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y,
                          std::int64_t outer, std::int64_t r, std::int64_t inner) = 0;
  /// Softmax (or log-softmax) over the middle axis of [outer, n, inner], max-shifted for stability.
  virtual void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer,
                       std::int64_t n, std::int64_t inner) = 0;

  // --- linear algebra -----------------------------------------------------------------------
  virtual void gemm(const GemmArgs& args) = 0;

  // --- data movement ------------------------------------------------------------------------
  /// Copies elements from src to dst; both layouts have the same shape (the copied region).
  virtual void strided_copy(std::size_t element_size, const void* src,
                            const StridedLayout& src_layout, void* dst,
                            const StridedLayout& dst_layout) = 0;
  /// x viewed as [outer, axis_size, inner]; out[o, k, i] = x[o, indices[k], i] for k < count.
  /// Indices are int32 or int64 and were range-checked by the caller when on the host; device
  /// indices out of range give zeros.
  virtual void gather(std::size_t element_size, const void* x, std::int64_t outer,
                      std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                      const void* indices, std::int64_t count, void* out) = 0;

  /// The transpose of gather: out[o, indices[k], i] += updates[o, k, i] for every k, with out
  /// viewed as [outer, axis_size, inner]; floating dtypes; out-of-range indices are skipped.
  virtual void scatter_add(DType dtype, const void* updates, std::int64_t outer,
                           std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                           const void* indices, std::int64_t count, void* out) = 0;

  // --- convolution, pooling, batch normalization (core/backend/kernel_types.h describes the
  // layouts) ---
  /// y = conv(x, filter).
  virtual void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter,
                              void* y) = 0;
  /// dx = the gradient of conv2d_forward with respect to x, given dy (the transposed convolution).
  virtual void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                                    void* dx) = 0;
  /// dfilter = the gradient of conv2d_forward with respect to the filter, given x and dy.
  virtual void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                                      void* dfilter) = 0;
  virtual void pool2d_forward(const Pool2DArgs& args, const void* x, void* y) = 0;
  /// dx from dy; max pooling passes each dy to the first maximum of its window in x (y is the
  /// forward result); average pooling spreads it evenly and ignores x and y.
  virtual void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                               void* dx) = 0;
  /// Training-mode batch normalization: y = (x - mean) * inv_std * scale + offset with the batch
  /// mean and biased variance per channel (written out), inv_std = 1 / sqrt(variance + epsilon).
  virtual void batch_norm_forward_training(const BatchNormArgs& args, const void* x,
                                           const void* scale, const void* offset, void* y,
                                           void* mean, void* variance, void* inv_std) = 0;
  /// The gradients of batch_norm_forward_training with respect to x, scale and offset, from the
  /// saved mean and inv_std.
  virtual void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                                   const void* scale, const void* mean, const void* inv_std,
                                   void* dx, void* dscale, void* doffset) = 0;

  // --- optimizers ---------------------------------------------------------------------------
  /// Updates a variable and its slots in place with one fused pass (core/backend/optimizer_math.h).
  virtual void optimizer_update(const OptimizerUpdateArgs& args) = 0;

  // --- random -------------------------------------------------------------------------------
  virtual void random(const RandomArgs& args) = 0;
};

namespace detail {

/// The backend of a device; throws DeviceError when the device is not available.
Backend& backend_for(const Device& device);
bool cuda_backend_compiled();
int cuda_backend_device_count();
/// Why no GPU is usable ("no CUDA driver", "no device"), for error messages.
std::string cuda_unavailable_reason();
/// A GPU's compute capability and name (0.0 and "" when they cannot be queried).
struct CudaDeviceProperties {
  int major = 0, minor = 0;
  std::string name;
};
CudaDeviceProperties cuda_backend_properties(int index);
/// The CUDA architectures this build was compiled for (CMAKE_CUDA_ARCHITECTURES, ',' between).
std::string cuda_built_architectures();

}  // namespace detail
}  // namespace ember
