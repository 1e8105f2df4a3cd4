// Elementwise kernels on contiguous arrays: fill, cast and unary ops. The scalar semantics come
// from core/elementwise_math.h, shared with the CPU kernels.
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

// --- helpers ----------------------------------------------------------------------------------

template <class T>
T scalar_as(const ScalarValue& v) {
  if constexpr (std::is_floating_point_v<T>) {
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

}  // namespace ember::cuda
