// The CPU kernels behind CpuBackend, one family per file (internal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "core/backend/kernel_types.h"
#include "core/error.h"

namespace ember::cpu {

/// Calls f(T{}) for float32 or float64: the kernels that exist only for floating types
/// (convolution, pooling, batch norm; their ops check the dtype before calling).
template <class F>
void dispatch_floating(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32:
      f(float{});
      break;
    case DType::float64:
      f(double{});
      break;
    default:
      EMBER_ASSERT(false &&
                   "floating-point kernel called for another dtype (the op layer checks it)");
  }
}

/// dispatch_floating for the kernels that also take float16 and bfloat16 (computing in float).
template <class F>
void dispatch_floating_or_half(DType dtype, F&& f) {
  if (dtype == DType::float16) return f(Float16{});
  if (dtype == DType::bfloat16) return f(BFloat16{});
  dispatch_floating(dtype, std::forward<F>(f));
}

// elementwise.cpp (the loops: simd/elementwise.cpp, once per instruction set)
void fill(DType dtype, void* out, std::int64_t n, ScalarValue value);
void cast(DType from, const void* x, DType to, void* y, std::int64_t n);
void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param);
void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
            void* out, const StridedLayout& shape);
void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
           const ElementwiseInput& y, void* out, const StridedLayout& shape);

// optimizer.cpp
void optimizer_update(const OptimizerUpdateArgs& args);

// reduce.cpp
void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
            std::int64_t inner, std::int64_t mean_divisor);
void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                std::int64_t r, std::int64_t inner);

// softmax.cpp
void softmax(bool log, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t n,
             std::int64_t inner);

// linalg.cpp
void gemm(const GemmArgs& args);
// matmul_onednn.cpp: 16-bit products through oneDNN's matmul primitive (float32 accumulation).
/// Whether this oneDNN multiplies 16-bit matrices of `dtype` on this processor (probed once).
bool onednn_matmul_supports(DType dtype);
void onednn_matmul(const GemmArgs& args);

// shape.cpp
void strided_copy(std::size_t element_size, const void* src, const StridedLayout& src_layout,
                  void* dst, const StridedLayout& dst_layout);

// index.cpp
void gather(std::size_t element_size, const void* x, std::int64_t outer, std::int64_t axis_size,
            std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
            void* out);
void scatter_add(DType dtype, const void* updates, std::int64_t outer, std::int64_t axis_size,
                 std::int64_t inner, DType index_dtype, const void* indices, std::int64_t count,
                 void* out);

// conv.cpp: float32 through oneDNN when built with it; im2col + gemm for every floating dtype.
void conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y);
void conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy, void* dx);
void conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy, void* dfilter);

#if EMBER_WITH_ONEDNN
// conv_onednn.cpp: float32, and bfloat16/float16 where onednn_conv2d_supports says so (the
// backend widens them otherwise); primitives cached per shape.
/// Whether this oneDNN runs 16-bit convolutions of `dtype` on this processor (probed once).
bool onednn_conv2d_supports(DType dtype);
void onednn_conv2d_forward(const Conv2DArgs& args, const void* x, const void* filter, void* y);
void onednn_conv2d_backward_data(const Conv2DArgs& args, const void* filter, const void* dy,
                                 void* dx);
void onednn_conv2d_backward_filter(const Conv2DArgs& args, const void* x, const void* dy,
                                   void* dfilter);
#endif

// pool.cpp
void pool2d_forward(const Pool2DArgs& args, const void* x, void* y);
void pool2d_backward(const Pool2DArgs& args, const void* x, const void* y, const void* dy,
                     void* dx);

// norm.cpp
void batch_norm_forward_training(const BatchNormArgs& args, const void* x, const void* scale,
                                 const void* offset, void* y, void* mean, void* variance,
                                 void* inv_std);
void batch_norm_backward(const BatchNormArgs& args, const void* x, const void* dy,
                         const void* scale, const void* mean, const void* inv_std, void* dx,
                         void* dscale, void* doffset);

// random.cpp
void random(const RandomArgs& args);

}  // namespace ember::cpu
