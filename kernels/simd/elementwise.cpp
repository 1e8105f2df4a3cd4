// Elementwise CPU kernels: fill, cast, unary, binary (broadcasting) and where. This file is
// compiled once per instruction set; EMBER_CPU_ISA_ENTRY names the entry point of each build
// (see kernels/elementwise_kernels.h).
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/backend/elementwise_math.h"
#include "core/backend/optimizer_math.h"
#include "kernels/elementwise_kernels.h"
#include "kernels/parallel.h"
#include "kernels/strided_iteration.h"

#ifndef EMBER_CPU_ISA_ENTRY
#error "compile kernels/simd/elementwise.cpp with -DEMBER_CPU_ISA_ENTRY=<entry point name>"
#endif

namespace ember::cpu {
namespace {

template <class T>
T scalar_as(const ScalarValue& v) {
  if constexpr (is_half_type_v<T>)
    return T(static_cast<float>(v.f));
  else if constexpr (std::is_floating_point_v<T>)
    return static_cast<T>(v.f);
  else
    return static_cast<T>(v.i);
}

// float16 and bfloat16 compute in float32 registers: loaded widened, stored rounded once (the
// backend's widening wrapper leaves them to these kernels: CpuBackend::runs_natively).
template <class T>
using compute_t = std::conditional_t<is_half_type_v<T>, float, T>;
template <class T>
inline compute_t<T> load(T x) {
  return static_cast<compute_t<T>>(x);
}
template <class Out, class V>
inline Out store(V v) {
  if constexpr (is_half_type_v<Out>)
    return Out(static_cast<float>(v));
  else
    return v;
}

/// c ? a : b without a branch (exact for every value, NaN and infinities included).
template <class T>
inline T select(bool c, T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    Bits ab, bb;
    std::memcpy(&ab, &a, sizeof(T));
    std::memcpy(&bb, &b, sizeof(T));
    const Bits mask = Bits{0} - static_cast<Bits>(c);
    const Bits r = (ab & mask) | (bb & ~mask);
    T out;
    std::memcpy(&out, &r, sizeof(T));
    return out;
  } else {
    return c ? a : b;
  }
}

template <class T, class Out, BinaryOp Op>
void binary_typed(const ElementwiseInput& a, const ElementwiseInput& b, Out* out,
                  const StridedLayout& shape) {
  const T* pa = static_cast<const T*>(a.data);
  const T* pb = static_cast<const T*>(b.data);
  const T sa = scalar_as<T>(a.scalar), sb = scalar_as<T>(b.scalar);
  const compute_t<T> ca = load(sa), cb = load(sb);
  std::int64_t n = 1;
  for (int d = 0; d < shape.rank; ++d) n *= shape.shape[d];
  // The three common cases get plain loops the compiler vectorises.
  if ((a.contiguous || a.is_scalar) && (b.contiguous || b.is_scalar)) {
    parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
      if (a.contiguous && b.contiguous) {
        for (std::int64_t i = begin; i < end; ++i)
          out[i] = store<Out>(math::binary<Op>(load(pa[i]), load(pb[i])));
      } else if (a.contiguous) {
        for (std::int64_t i = begin; i < end; ++i)
          out[i] = store<Out>(math::binary<Op>(load(pa[i]), cb));
      } else if (b.contiguous) {
        for (std::int64_t i = begin; i < end; ++i)
          out[i] = store<Out>(math::binary<Op>(ca, load(pb[i])));
      } else {
        for (std::int64_t i = begin; i < end; ++i) out[i] = store<Out>(math::binary<Op>(ca, cb));
      }
    });
    return;
  }
  // General broadcasting: a scalar operand reads one value through zero strides.
  StridedLayout zero;
  const std::array<const StridedLayout*, 2> layouts{a.is_scalar ? &zero : &a.layout,
                                                    b.is_scalar ? &zero : &b.layout};
  const T* base_a = a.is_scalar ? &sa : pa;
  const T* base_b = b.is_scalar ? &sb : pb;
  zero.rank = shape.rank;
  parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    for_each_run(shape, layouts, begin, end,
                 [&](std::int64_t o, const std::array<std::int64_t, 2>& off, std::int64_t count,
                     const std::array<std::int64_t, 2>& step) {
                   const T* x = base_a + off[0];
                   const T* y = base_b + off[1];
                   for (std::int64_t j = 0; j < count; ++j) {
                     out[o + j] =
                         store<Out>(math::binary<Op>(load(x[j * step[0]]), load(y[j * step[1]])));
                   }
                 });
  });
}

template <class T, UnaryOp Op>
void unary_typed(const T* x, T* y, std::int64_t n, compute_t<T> param) {
  std::int64_t grain = kParallelGrain;
  if constexpr (std::is_floating_point_v<compute_t<T>>) {
    if (Op != UnaryOp::negative && Op != UnaryOp::abs && Op != UnaryOp::square &&
        Op != UnaryOp::relu && Op != UnaryOp::sign) {
      grain = 4096;  // transcendental functions: worth threads sooner
    }
  }
  parallel_for(n, grain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) y[i] = store<T>(math::unary<Op>(load(x[i]), param));
  });
}

void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = static_cast<T*>(out);
    const T v = scalar_as<T>(value);
    parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) p[i] = v;
    });
  });
}

// bfloat16 <-> float32 on the bits, branch-free, so the loops vectorise: the widening casts of
// the mixed-precision path (core/backend/half_precision_backend.h) run at memory speed. The
// rounding is core/half.h's (nearest even; NaN stays a quiet NaN), written on whole arrays.
bool cast_bfloat16_fast(DType from, const void* x, DType to, void* y, std::int64_t n) {
  if (from == DType::bfloat16 && to == DType::float32) {
    const std::uint16_t* __restrict src = static_cast<const std::uint16_t*>(x);
    std::uint32_t* __restrict dst = static_cast<std::uint32_t*>(y);
    parallel_for(n, kParallelGrain, [=](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) dst[i] = static_cast<std::uint32_t>(src[i]) << 16;
    });
    return true;
  }
  if (from == DType::float32 && to == DType::bfloat16) {
    const std::uint32_t* __restrict src = static_cast<const std::uint32_t*>(x);
    std::uint16_t* __restrict dst = static_cast<std::uint16_t*>(y);
    parallel_for(n, kParallelGrain, [=](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const std::uint32_t u = src[i];
        const std::uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
        const std::uint32_t quiet_nan = (u >> 16) | 0x0040u;
        dst[i] = static_cast<std::uint16_t>((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded);
      }
    });
    return true;
  }
  return false;
}

void cast(DType from, const void* x, DType to, void* y, std::int64_t n) {
  if (cast_bfloat16_fast(from, x, to, y, n)) return;
  dispatch_dtype(from, [&](auto from_zero) {
    using From = decltype(from_zero);
    dispatch_dtype(to, [&](auto to_zero) {
      using To = decltype(to_zero);
      const From* src = static_cast<const From*>(x);
      To* dst = static_cast<To*>(y);
      parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) dst[i] = math::convert<To>(src[i]);
      });
    });
  });
}

void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    using C = compute_t<T>;
    math::dispatch_unary(op, [&](auto tag) {
      constexpr UnaryOp kOp = decltype(tag)::value;
      if constexpr (math::unary_supported<kOp, C>()) {
        unary_typed<T, kOp>(static_cast<const T*>(x), static_cast<T*>(y), n, static_cast<C>(param));
      }
    });
  });
}

void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
            void* out, const StridedLayout& shape) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    using C = compute_t<T>;
    math::dispatch_binary(op, [&](auto tag) {
      constexpr BinaryOp kOp = decltype(tag)::value;
      if constexpr (math::binary_supported<kOp, C>()) {
        // The result's type: the operands' (16-bit ones stay 16-bit), or bool for comparisons.
        using Result = decltype(math::binary<kOp>(C{}, C{}));
        using Out = std::conditional_t<std::is_same_v<Result, C>, T, Result>;
        binary_typed<T, Out, kOp>(a, b, static_cast<Out*>(out), shape);
      }
    });
  });
}

void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
           const ElementwiseInput& y, void* out, const StridedLayout& shape) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T sx = scalar_as<T>(x.scalar), sy = scalar_as<T>(y.scalar);
    StridedLayout scalar_layout;
    scalar_layout.rank = shape.rank;
    const std::array<const StridedLayout*, 3> layouts{&cond.layout,
                                                      x.is_scalar ? &scalar_layout : &x.layout,
                                                      y.is_scalar ? &scalar_layout : &y.layout};
    const bool* c = static_cast<const bool*>(cond.data);
    const T* px = x.is_scalar ? &sx : static_cast<const T*>(x.data);
    const T* py = y.is_scalar ? &sy : static_cast<const T*>(y.data);
    T* o = static_cast<T*>(out);
    std::int64_t n = 1;
    for (int d = 0; d < shape.rank; ++d) n *= shape.shape[d];
    // The common cases (relu's gradient: where(x > 0, g, 0)) get plain loops the compiler
    // vectorises; the strided walk below costs several times more per element.
    if (cond.contiguous && (x.contiguous || x.is_scalar) && (y.contiguous || y.is_scalar)) {
      const bool xc = x.contiguous, yc = y.contiguous;
      parallel_for(n, kParallelGrain, [=](std::int64_t begin, std::int64_t end) {
        // Both sides are loaded unconditionally and the condition is read as bytes: GCC turns
        // `byte != 0 ? a : b` on loaded values into vector blends, while a `bool` condition
        // makes it branch (relu's gradient mispredicted on every other element, 15x slower
        // than a multiply) and the bit-mask select() widens bytes lane by lane (2.5x slower).
        const unsigned char* __restrict cc = reinterpret_cast<const unsigned char*>(c);
        const T* __restrict xs = px;
        const T* __restrict ys = py;
        T* __restrict os = o;
        const T sx_local = sx,
                sy_local = sy;  // not members of the closure, which a store may alias
        if (xc && yc) {
          for (std::int64_t i = begin; i < end; ++i) {
            const T a = xs[i], b = ys[i];
            os[i] = cc[i] != 0 ? a : b;
          }
        } else if (xc) {
          for (std::int64_t i = begin; i < end; ++i) {
            const T a = xs[i];
            os[i] = cc[i] != 0 ? a : sy_local;
          }
        } else if (yc) {
          for (std::int64_t i = begin; i < end; ++i) {
            const T b = ys[i];
            os[i] = cc[i] != 0 ? sx_local : b;
          }
        } else {
          for (std::int64_t i = begin; i < end; ++i) os[i] = cc[i] != 0 ? sx_local : sy_local;
        }
      });
      return;
    }
    parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
      for_each_run(shape, layouts, begin, end,
                   [&](std::int64_t i, const std::array<std::int64_t, 3>& off, std::int64_t count,
                       const std::array<std::int64_t, 3>& step) {
                     for (std::int64_t j = 0; j < count; ++j) {
                       o[i + j] = select(c[off[0] + j * step[0]], px[off[1] + j * step[1]],
                                         py[off[2] + j * step[2]]);
                     }
                   });
    });
  });
}

// One pass over the variables, their gradients and their slots: the fused optimizer update, with
// the elements of all the variables as one range shared out among the threads (many small
// variables make one parallel loop, not one each). Elements with a non-finite gradient are
// counted, and skipped when the optimizer asks for it.
template <OptimizerRule Rule, class T>
void optimizer_update_typed(const OptimizerUpdateArgs& a) {
  // starts[t]: the first element of tensor t in the joined range.
  std::vector<std::int64_t> starts(a.count + 1, 0);
  for (std::size_t t = 0; t < a.count; ++t) starts[t + 1] = starts[t] + a.tensors[t].n;
  T c[6];
  for (int i = 0; i < 6; ++i) c[i] = static_cast<T>(a.coefficients[i]);
  const T lr = static_cast<T>(a.learning_rate), decay = static_cast<T>(a.decay);
  std::atomic<std::int64_t> skipped{0};
  // Slots decay towards zero; parallel_for flushes denormals, keeping the update at full speed.
  parallel_for(starts.back(), kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    std::int64_t skipped_here = 0;
    std::size_t t = static_cast<std::size_t>(std::upper_bound(starts.begin(), starts.end(), begin) -
                                             starts.begin() - 1);
    for (std::int64_t at = begin; at < end; ++t) {
      const OptimizerTensor& x = a.tensors[t];
      T* p = static_cast<T*>(x.param);
      const T* g = static_cast<const T*>(x.grad);
      T* s0 = static_cast<T*>(x.slots[0]);
      T* s1 = static_cast<T*>(x.slots[1]);
      T* s2 = static_cast<T*>(x.slots[2]);
      const std::int64_t last = std::min(end, starts[t + 1]);
      for (std::int64_t i = at - starts[t]; i < last - starts[t]; ++i) {
        const T gi = g[i];
        if (!(gi - gi == T(0))) {  // NaN or infinite
          ++skipped_here;
          if (a.skip_nonfinite) continue;  // leave this element alone
        }
        T absent[3] = {0, 0, 0};  // stands in for the slots a rule does not have
        math::optimizer_step<Rule, T>(p[i], gi, s0 ? s0 + i : &absent[0], s1 ? s1 + i : &absent[1],
                                      s2 ? s2 + i : &absent[2], c, lr, decay);
      }
      at = last;
    }
    if (skipped_here != 0) skipped += skipped_here;
  });
  if (skipped.load() != 0) *a.nonfinite_count += skipped.load();
}

void optimizer_update(const OptimizerUpdateArgs& args) {
  math::dispatch_optimizer_rule(args.rule, [&](auto tag) {
    constexpr OptimizerRule kRule = decltype(tag)::value;
    if (args.dtype == DType::float32)
      optimizer_update_typed<kRule, float>(args);
    else
      optimizer_update_typed<kRule, double>(args);
  });
}

}  // namespace

const ElementwiseKernels& EMBER_CPU_ISA_ENTRY() {
  static const ElementwiseKernels kernels{EMBER_CPU_ISA_NAME, fill, cast, unary, binary, where,
                                          optimizer_update};
  return kernels;
}

}  // namespace ember::cpu
