// Elementwise kernels: fill, cast and unary ops on contiguous arrays, and the broadcasting binary
// ops and where. Contiguous operands and host scalars take flat kernels (float32 arithmetic with
// 16-byte vector loads when aligned); anything else walks the operands' strides. The scalar
// semantics come from core/backend/elementwise_math.h, shared with the CPU kernels.
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "core/backend/elementwise_math.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// --- kernels ----------------------------------------------------------------------------------

// out: (n,)
template <class T>
__global__ void fill_kernel(T* out, std::int64_t n, T value) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) out[i] = value;
}

// x: (n,) From  ->  y: (n,) To
template <class From, class To>
__global__ void cast_kernel(const From* x, To* y, std::int64_t n) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    y[i] = math::convert<To>(x[i]);
  }
}

// x: (n,)  ->  y: (n,)
template <class T, UnaryOp Op>
__global__ void unary_kernel(const T* x, T* y, std::int64_t n, T param) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    y[i] = math::unary<Op>(x[i], param);
  }
}

// a, b: (n,) contiguous, or one value broadcast (AScalar/BScalar)  ->  out: (n,)
template <class T, class Out, BinaryOp Op, bool AScalar, bool BScalar>
__global__ void binary_flat_kernel(const T* a, T sa, const T* b, T sb, Out* out, std::int64_t n) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    out[i] = math::binary<Op>(AScalar ? sa : a[i], BScalar ? sb : b[i]);
  }
}

// a, b: (n,) float32 contiguous and 16-byte aligned, or broadcast  ->  out: (n,)
template <BinaryOp Op, bool AScalar, bool BScalar>
__global__ void binary_float4_kernel(const float* a, float sa, const float* b, float sb, float* out,
                                     std::int64_t n) {
  const std::int64_t vectors = n / 4;
  const float4 va_scalar = make_float4(sa, sa, sa, sa);
  const float4 vb_scalar = make_float4(sb, sb, sb, sb);
  for (std::int64_t v = global_thread_index(); v < vectors; v += grid_thread_count()) {
    const float4 x = AScalar ? va_scalar : reinterpret_cast<const float4*>(a)[v];
    const float4 y = BScalar ? vb_scalar : reinterpret_cast<const float4*>(b)[v];
    float4 r;
    r.x = math::binary<Op>(x.x, y.x);
    r.y = math::binary<Op>(x.y, y.y);
    r.z = math::binary<Op>(x.z, y.z);
    r.w = math::binary<Op>(x.w, y.w);
    reinterpret_cast<float4*>(out)[v] = r;
  }
  // The last n % 4 elements, one per thread of the first block.
  const std::int64_t tail = vectors * 4 + global_thread_index();
  if (tail < n) out[tail] = math::binary<Op>(AScalar ? sa : a[tail], BScalar ? sb : b[tail]);
}

// a, b: broadcast to the output shape through their strides (nullptr: the scalar sa/sb)
//   ->  out: (n,) row-major
template <class T, class Out, BinaryOp Op, class Index>
__global__ void binary_strided_kernel(const T* a, T sa, const T* b, T sb, Out* out, std::int64_t n,
                                      StridedOperands<2> operands) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    std::int64_t offsets[2];
    strided_offsets<Index>(operands, i, offsets);
    out[i] = math::binary<Op>(a ? a[offsets[0]] : sa, b ? b[offsets[1]] : sb);
  }
}

// cond: (n,) bool; x, y: (n,) contiguous or broadcast  ->  out: (n,)
template <class T, bool XScalar, bool YScalar>
__global__ void where_flat_kernel(const bool* cond, const T* x, T sx, const T* y, T sy, T* out,
                                  std::int64_t n) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    out[i] = cond[i] ? (XScalar ? sx : x[i]) : (YScalar ? sy : y[i]);
  }
}

// cond, x, y: broadcast to the output shape (x/y nullptr: the scalar)  ->  out: (n,) row-major
template <class T, class Index>
__global__ void where_strided_kernel(const bool* cond, const T* x, T sx, const T* y, T sy, T* out,
                                     std::int64_t n, StridedOperands<3> operands) {
  for (std::int64_t i = global_thread_index(); i < n; i += grid_thread_count()) {
    std::int64_t offsets[3];
    strided_offsets<Index>(operands, i, offsets);
    out[i] = cond[offsets[0]] ? (x ? x[offsets[1]] : sx) : (y ? y[offsets[2]] : sy);
  }
}

// --- helpers ----------------------------------------------------------------------------------

template <class T>
T scalar_as(const ScalarValue& v) {
  if constexpr (is_half_type_v<T>) {
    return T(static_cast<float>(v.f));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v.f);
  } else {
    return static_cast<T>(v.i);
  }
}

// Whether every byte of `value` is zero, so a memset can write it (-0.0 is not).
template <class T>
bool all_bytes_zero(const T& value) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&value);
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

bool aligned16(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; }

// An operand as the kernels see it: a device array, or (data == nullptr) a broadcast value.
template <class T>
struct Operand {
  const T* data;
  T scalar;
};

template <class T>
Operand<T> operand(const ElementwiseInput& in) {
  if (in.is_scalar) return {nullptr, scalar_as<T>(in.scalar)};
  return {static_cast<const T*>(in.data), T{}};
}

template <class T, class Out, BinaryOp Op, bool AScalar, bool BScalar>
void binary_flat(Operand<T> a, Operand<T> b, Out* out, std::int64_t n, const StreamContext& ctx) {
  if constexpr (std::is_same_v<T, float> && std::is_same_v<Out, float>) {
    if (aligned16(a.data) && aligned16(b.data) && aligned16(out)) {
      binary_float4_kernel<Op, AScalar, BScalar>
          <<<grid_blocks(ceil_div(n, 4), ctx), kBlockThreads, 0, ctx.stream>>>(
              a.data, a.scalar, b.data, b.scalar, out, n);
      EMBER_CUDA_CHECK_LAUNCH();
      return;
    }
  }
  binary_flat_kernel<T, Out, Op, AScalar, BScalar>
      <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(a.data, a.scalar, b.data, b.scalar,
                                                              out, n);
  EMBER_CUDA_CHECK_LAUNCH();
}

template <class T, class Out, BinaryOp Op>
void binary_typed(const ElementwiseInput& a_in, const ElementwiseInput& b_in, Out* out,
                  const StridedLayout& shape, const StreamContext& ctx) {
  const std::int64_t n = element_count(shape);
  if (n <= 0) return;
  const Operand<T> a = operand<T>(a_in), b = operand<T>(b_in);
  const bool a_flat = a_in.is_scalar || a_in.contiguous, b_flat = b_in.is_scalar || b_in.contiguous;
  if (a_flat && b_flat && !(a_in.is_scalar && b_in.is_scalar)) {
    if (a_in.is_scalar) {
      binary_flat<T, Out, Op, true, false>(a, b, out, n, ctx);
    } else if (b_in.is_scalar) {
      binary_flat<T, Out, Op, false, true>(a, b, out, n, ctx);
    } else {
      binary_flat<T, Out, Op, false, false>(a, b, out, n, ctx);
    }
    return;
  }
  const StridedLayout* const layouts[2] = {a_in.is_scalar ? nullptr : &a_in.layout,
                                           b_in.is_scalar ? nullptr : &b_in.layout};
  const StridedOperands<2> operands = strided_operands<2>(shape, layouts);
  if (fits_uint32(n)) {
    binary_strided_kernel<T, Out, Op, std::uint32_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(a.data, a.scalar, b.data, b.scalar,
                                                                out, n, operands);
  } else {
    binary_strided_kernel<T, Out, Op, std::int64_t>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(a.data, a.scalar, b.data, b.scalar,
                                                                out, n, operands);
  }
  EMBER_CUDA_CHECK_LAUNCH();
}

template <class T, bool XScalar, bool YScalar>
void where_flat(const bool* cond, Operand<T> x, Operand<T> y, T* out, std::int64_t n,
                const StreamContext& ctx) {
  where_flat_kernel<T, XScalar, YScalar><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
      cond, x.data, x.scalar, y.data, y.scalar, out, n);
  EMBER_CUDA_CHECK_LAUNCH();
}

template <class T>
void where_typed(const ElementwiseInput& cond, const ElementwiseInput& x_in,
                 const ElementwiseInput& y_in, T* out, const StridedLayout& shape,
                 const StreamContext& ctx) {
  const std::int64_t n = element_count(shape);
  if (n <= 0) return;
  const bool* c = static_cast<const bool*>(cond.data);
  const Operand<T> x = operand<T>(x_in), y = operand<T>(y_in);
  if (cond.contiguous && (x_in.is_scalar || x_in.contiguous) &&
      (y_in.is_scalar || y_in.contiguous)) {
    if (x_in.is_scalar && y_in.is_scalar) {
      where_flat<T, true, true>(c, x, y, out, n, ctx);
    } else if (x_in.is_scalar) {
      where_flat<T, true, false>(c, x, y, out, n, ctx);
    } else if (y_in.is_scalar) {
      where_flat<T, false, true>(c, x, y, out, n, ctx);
    } else {
      where_flat<T, false, false>(c, x, y, out, n, ctx);
    }
    return;
  }
  const StridedLayout* const layouts[3] = {&cond.layout, x_in.is_scalar ? nullptr : &x_in.layout,
                                           y_in.is_scalar ? nullptr : &y_in.layout};
  const StridedOperands<3> operands = strided_operands<3>(shape, layouts);
  if (fits_uint32(n)) {
    where_strided_kernel<T, std::uint32_t><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
        c, x.data, x.scalar, y.data, y.scalar, out, n, operands);
  } else {
    where_strided_kernel<T, std::int64_t><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
        c, x.data, x.scalar, y.data, y.scalar, out, n, operands);
  }
  EMBER_CUDA_CHECK_LAUNCH();
}

}  // namespace

// --- launchers --------------------------------------------------------------------------------

void launch_fill(DType dtype, void* out, std::int64_t n, ScalarValue value,
                 const StreamContext& ctx) {
  if (n <= 0) return;
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T v = scalar_as<T>(value);
    if (all_bytes_zero(v)) {
      EMBER_CUDA_CHECK(
          cudaMemsetAsync(out, 0, static_cast<std::size_t>(n) * sizeof(T), ctx.stream));
      return;
    }
    fill_kernel<T>
        <<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(static_cast<T*>(out), n, v);
    EMBER_CUDA_CHECK_LAUNCH();
  });
}

void launch_cast(DType from, const void* x, DType to, void* y, std::int64_t n,
                 const StreamContext& ctx) {
  if (n <= 0) return;
  if (from == to) {
    EMBER_CUDA_CHECK(cudaMemcpyAsync(y, x, static_cast<std::size_t>(n) * dtype_size(from),
                                     cudaMemcpyDeviceToDevice, ctx.stream));
    return;
  }
  dispatch_dtype(from, [&](auto from_zero) {
    using From = decltype(from_zero);
    dispatch_dtype(to, [&](auto to_zero) {
      using To = decltype(to_zero);
      cast_kernel<From, To><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
          static_cast<const From*>(x), static_cast<To*>(y), n);
      EMBER_CUDA_CHECK_LAUNCH();
    });
  });
}

void launch_unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param,
                  const StreamContext& ctx) {
  if (n <= 0) return;
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    math::dispatch_unary(op, [&](auto tag) {
      constexpr UnaryOp kOp = decltype(tag)::value;
      if constexpr (math::unary_supported<kOp, T>()) {
        unary_kernel<T, kOp><<<grid_blocks(n, ctx), kBlockThreads, 0, ctx.stream>>>(
            static_cast<const T*>(x), static_cast<T*>(y), n, static_cast<T>(param));
        EMBER_CUDA_CHECK_LAUNCH();
      }
    });
  });
}

void launch_binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
                   void* out, const StridedLayout& shape, const StreamContext& ctx) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    math::dispatch_binary(op, [&](auto tag) {
      constexpr BinaryOp kOp = decltype(tag)::value;
      if constexpr (math::binary_supported<kOp, T>()) {
        using Out = decltype(math::binary<kOp>(T{}, T{}));
        binary_typed<T, Out, kOp>(a, b, static_cast<Out*>(out), shape, ctx);
      }
    });
  });
}

void launch_where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
                  const ElementwiseInput& y, void* out, const StridedLayout& shape,
                  const StreamContext& ctx) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    where_typed<T>(cond, x, y, static_cast<T*>(out), shape, ctx);
  });
}

}  // namespace ember::cuda
