// Launchers of the CUDA kernels (cuda/*.cu), called by CudaBackend (internal, thin: C++17, plain
// pointers, sizes and the structs of core/backend/kernel_types.h). Each launcher enqueues its
// kernels on ctx.stream, checks every launch and returns at once: nothing here waits for the GPU.
// Arguments were validated by the op layer; empty work launches nothing.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "core/backend/kernel_types.h"
#include "cuda/device_allocator.h"

namespace ember::cuda {

/// Where the kernels of one backend run.
struct StreamContext {
  cudaStream_t stream = nullptr;
  DeviceAllocator* allocator = nullptr;  // temporary buffers (reduction partials) come from here
  int device = 0;
  int multiprocessors = 1;  // sizes the grids of grid-stride loops and split reductions
};

// elementwise.cu: contiguous fill, cast and unary ops; broadcasting binary ops and where
void launch_fill(DType dtype, void* out, std::int64_t n, ScalarValue value,
                 const StreamContext& ctx);
void launch_cast(DType from, const void* x, DType to, void* y, std::int64_t n,
                 const StreamContext& ctx);
void launch_unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param,
                  const StreamContext& ctx);
void launch_binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
                   void* out, const StridedLayout& shape, const StreamContext& ctx);
void launch_where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
                  const ElementwiseInput& y, void* out, const StridedLayout& shape,
                  const StreamContext& ctx);

// reduce.cu
void launch_reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer,
                   std::int64_t r, std::int64_t inner, std::int64_t mean_divisor,
                   const StreamContext& ctx);
void launch_arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y,
                       std::int64_t outer, std::int64_t r, std::int64_t inner,
                       const StreamContext& ctx);

// softmax.cu
void launch_softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer,
                    std::int64_t n, std::int64_t inner, const StreamContext& ctx);

// shape.cu
void launch_strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                         void* dst, const StridedLayout& dst_layout, const StreamContext& ctx);

// index.cu: gather; scatter_add for floating dtypes, through atomics, so repeated indices add in
// no fixed order.
void launch_gather(std::size_t element_size, const void* x, std::int64_t outer,
                   std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                   const void* indices, std::int64_t count, void* out, const StreamContext& ctx);
/// `deterministic`: sums in index order, one thread per output column, without atomics
/// (config::enable_op_determinism); otherwise atomics, whose order varies.
void launch_scatter_add(DType dtype, const void* updates, std::int64_t outer,
                        std::int64_t axis_size, std::int64_t inner, DType index_dtype,
                        const void* indices, std::int64_t count, void* out, bool deterministic,
                        const StreamContext& ctx);

// optimizer.cu
void launch_optimizer_update(const OptimizerUpdateArgs& args, const StreamContext& ctx);

// random.cu
void launch_random(const RandomArgs& args, const StreamContext& ctx);

// pool.cu: float32 and float64; x and y are read by max pooling's backward pass only.
void launch_pool2d_forward(const Pool2DArgs& args, const void* x, void* y,
                           const StreamContext& ctx);
void launch_pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                            void* dx, const StreamContext& ctx);

// linalg.cu: every dtype; cuBLAS serves float32/float64 with k > 0, this serves the rest.
void launch_gemm_tiled(const GemmArgs& args, const StreamContext& ctx);

}  // namespace ember::cuda
