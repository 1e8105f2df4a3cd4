// Reductions over the middle axis of [outer, r, inner] and arg-reductions on the CPU.
//
// Accuracy: float32 sums accumulate in float64 (eight lanes, so the loop vectorises); float64
// sums are Kahan-compensated. Long axes are cut into fixed chunks combined in order, so results
// do not depend on the thread count.
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

template <class T>
using wide_t = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;

template <class T>
struct SumAcc {
  wide_t<T> sum = 0;
  double compensation = 0;  // Kahan's running error (float64 data only)
  void add(T v) {
    if constexpr (std::is_same_v<T, double>) {
      const double y = v - compensation;
      const double t = sum + y;
      compensation = (t - sum) - y;
      sum = t;
    } else {
      sum += v;
    }
  }
  void merge(const SumAcc& o) {
    add_wide(o.sum);
    if constexpr (std::is_same_v<T, double>) add_wide(-o.compensation);
  }
  void add_wide(wide_t<T> v) {
    if constexpr (std::is_same_v<T, double>)
      add(v);
    else
      sum += v;
  }
  // Eight independent lanes let the compiler vectorise a contiguous float32 sum.
  void add_contiguous(const T* x, std::int64_t n) {
    if constexpr (std::is_same_v<T, float>) {
      double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::int64_t i = 0;
      for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k) lanes[k] += x[i + k];
      }
      for (; i < n; ++i) lanes[i % 8] += x[i];
      sum += ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
             ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    } else {
      for (std::int64_t i = 0; i < n; ++i) add(x[i]);
    }
  }
};

// One accumulator type per op, all with add/merge/add_contiguous/result.
template <class T, ReduceOp Op>
struct Accumulator {
  SumAcc<T> s;
  void add(T v) { s.add(v); }
  void merge(const Accumulator& o) { s.merge(o.s); }
  void add_contiguous(const T* x, std::int64_t n) { s.add_contiguous(x, n); }
  T result(std::int64_t divisor) const {
    if constexpr (Op == ReduceOp::mean) {
      if constexpr (std::is_floating_point_v<T>) {
        return static_cast<T>(s.sum / static_cast<double>(divisor));
      } else {
        return divisor == 0 ? T(0) : static_cast<T>(s.sum / divisor);
      }
    } else {
      return static_cast<T>(s.sum);
    }
  }
};

template <class T>
struct Accumulator<T, ReduceOp::max> {
  T value = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                 : std::numeric_limits<T>::lowest();
  void add(T v) {
    if (v > value || v != v) value = (value != value) ? value : v;
  }
  void merge(const Accumulator& o) { add(o.value); }
  void add_contiguous(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) add(x[i]);
  }
  T result(std::int64_t) const { return value; }
};

template <class T>
struct Accumulator<T, ReduceOp::min> {
  T value = std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                 : std::numeric_limits<T>::max();
  void add(T v) {
    if (v < value || v != v) value = (value != value) ? value : v;
  }
  void merge(const Accumulator& o) { add(o.value); }
  void add_contiguous(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) add(x[i]);
  }
  T result(std::int64_t) const { return value; }
};

template <class T>
struct Accumulator<T, ReduceOp::prod> {
  wide_t<T> value = 1;
  void add(T v) { value *= v; }
  void merge(const Accumulator& o) { value *= o.value; }
  void add_contiguous(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) add(x[i]);
  }
  T result(std::int64_t) const { return static_cast<T>(value); }
};

template <class T>
struct Accumulator<T, ReduceOp::any> {
  bool value = false;
  void add(T v) { value = value || v; }
  void merge(const Accumulator& o) { value = value || o.value; }
  void add_contiguous(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n && !value; ++i) add(x[i]);
  }
  T result(std::int64_t) const { return value; }
};

template <class T>
struct Accumulator<T, ReduceOp::all> {
  bool value = true;
  void add(T v) { value = value && v; }
  void merge(const Accumulator& o) { value = value && o.value; }
  void add_contiguous(const T* x, std::int64_t n) {
    for (std::int64_t i = 0; i < n && value; ++i) add(x[i]);
  }
  T result(std::int64_t) const { return value; }
};

// Adds rows [j0, j1) of `inner` values each into acc[0..inner). A float32 sum goes through a
// contiguous float64 row, which vectorises (the accumulator structs do not).
template <class T, ReduceOp Op>
void add_rows(Accumulator<T, Op>* acc, const T* base, std::int64_t j0, std::int64_t j1,
              std::int64_t inner) {
  if constexpr (std::is_same_v<T, float> && (Op == ReduceOp::sum || Op == ReduceOp::mean)) {
    std::vector<double> row(static_cast<std::size_t>(inner), 0.0);
    double* __restrict wide = row.data();
    for (std::int64_t j = j0; j < j1; ++j) {
      const float* __restrict in = base + j * inner;
      for (std::int64_t i = 0; i < inner; ++i) wide[i] += in[i];
    }
    for (std::int64_t i = 0; i < inner; ++i) acc[i].s.add_wide(wide[i]);
  } else {
    for (std::int64_t j = j0; j < j1; ++j) {
      for (std::int64_t i = 0; i < inner; ++i) acc[i].add(base[j * inner + i]);
    }
  }
}

template <class T, ReduceOp Op>
void reduce_typed(const T* x, T* y, std::int64_t outer, std::int64_t r, std::int64_t inner,
                  std::int64_t divisor) {
  using Acc = Accumulator<T, Op>;
  const std::int64_t outputs = outer * inner;
  // Few output rows over a long axis (a bias gradient: all but the channel axis): cut the axis
  // into fixed chunks, reduce them in parallel, merge in order. Otherwise: one task per output
  // row. The choice depends on the shapes only, so results do not depend on the thread count.
  constexpr std::int64_t kChunkElements = 1 << 16;
  constexpr std::int64_t kFewRows = 8;
  const std::int64_t rows_per_chunk = std::max<std::int64_t>(1, kChunkElements / inner);
  const std::int64_t chunks = (r + rows_per_chunk - 1) / rows_per_chunk;
  if (outer < kFewRows && chunks > 1) {
    std::vector<Acc> partial(static_cast<std::size_t>(outputs * chunks));
    parallel_for(outer * chunks, 1, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t task = begin; task < end; ++task) {
        const std::int64_t o = task / chunks, c = task % chunks;
        Acc* acc = &partial[static_cast<std::size_t>((o * chunks + c) * inner)];
        const std::int64_t j0 = c * rows_per_chunk, j1 = std::min(r, j0 + rows_per_chunk);
        const T* base = x + o * r * inner;
        if (inner == 1)
          acc[0].add_contiguous(base + j0, j1 - j0);
        else
          add_rows(acc, base, j0, j1, inner);
      }
    });
    for (std::int64_t o = 0; o < outer; ++o) {
      for (std::int64_t i = 0; i < inner; ++i) {
        Acc total;
        for (std::int64_t c = 0; c < chunks; ++c) {
          total.merge(partial[static_cast<std::size_t>((o * chunks + c) * inner + i)]);
        }
        y[o * inner + i] = total.result(divisor);
      }
    }
    return;
  }
  if (inner == 1) {
    parallel_for(outer, std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(r, 1)),
                 [&](std::int64_t begin, std::int64_t end) {
                   for (std::int64_t o = begin; o < end; ++o) {
                     Acc acc;
                     acc.add_contiguous(x + o * r, r);
                     y[o] = acc.result(divisor);
                   }
                 });
    return;
  }
  // Rows of `inner` values: accumulate whole rows so memory is read in order.
  parallel_for(outer,
               std::max<std::int64_t>(1, kParallelGrain / std::max<std::int64_t>(r * inner, 1)),
               [&](std::int64_t begin, std::int64_t end) {
                 std::vector<Acc> acc(static_cast<std::size_t>(inner));
                 for (std::int64_t o = begin; o < end; ++o) {
                   std::fill(acc.begin(), acc.end(), Acc{});
                   add_rows(acc.data(), x + o * r * inner, 0, r, inner);
                   for (std::int64_t i = 0; i < inner; ++i)
                     y[o * inner + i] = acc[i].result(divisor);
                 }
               });
}

template <class T, ArgReduceOp Op>
void arg_reduce_typed(const T* x, std::int64_t* y, std::int64_t outer, std::int64_t r,
                      std::int64_t inner) {
  parallel_for(outer * inner, std::max<std::int64_t>(1, kParallelGrain / r),
               [&](std::int64_t begin, std::int64_t end) {
                 for (std::int64_t t = begin; t < end; ++t) {
                   const std::int64_t o = t / inner, i = t % inner;
                   const T* base = x + o * r * inner + i;
                   std::int64_t best = 0;
                   T best_value = base[0];
                   for (std::int64_t j = 1; j < r && best_value == best_value; ++j) {
                     const T v = base[j * inner];
                     const bool better =
                         Op == ArgReduceOp::argmax ? v > best_value : v < best_value;
                     if (better || v != v) {
                       best = j;
                       best_value = v;
                     }
                   }
                   y[t] = best;
                 }
               });
}

}  // namespace

void reduce(ReduceOp op, DType dtype, const void* x, void* y, std::int64_t outer, std::int64_t r,
            std::int64_t inner, std::int64_t mean_divisor) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x);
    T* out = static_cast<T*>(y);
    if constexpr (is_half_type_v<T>) {
      // never reached: the backend boundary widens 16-bit types (half_precision_backend.h)
    } else if constexpr (std::is_same_v<T, bool>) {
      if (op == ReduceOp::any) reduce_typed<T, ReduceOp::any>(in, out, outer, r, inner, 0);
      if (op == ReduceOp::all) reduce_typed<T, ReduceOp::all>(in, out, outer, r, inner, 0);
    } else {
      switch (op) {
        case ReduceOp::sum:
          reduce_typed<T, ReduceOp::sum>(in, out, outer, r, inner, 0);
          break;
        case ReduceOp::mean:
          reduce_typed<T, ReduceOp::mean>(in, out, outer, r, inner, mean_divisor);
          break;
        case ReduceOp::max:
          reduce_typed<T, ReduceOp::max>(in, out, outer, r, inner, 0);
          break;
        case ReduceOp::min:
          reduce_typed<T, ReduceOp::min>(in, out, outer, r, inner, 0);
          break;
        case ReduceOp::prod:
          reduce_typed<T, ReduceOp::prod>(in, out, outer, r, inner, 0);
          break;
        default:
          break;
      }
    }
  });
}

void arg_reduce(ArgReduceOp op, DType dtype, const void* x, std::int64_t* y, std::int64_t outer,
                std::int64_t r, std::int64_t inner) {
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool> && !is_half_type_v<T>) {  // 16-bit: widened before
      if (op == ArgReduceOp::argmax) {
        arg_reduce_typed<T, ArgReduceOp::argmax>(static_cast<const T*>(x), y, outer, r, inner);
      } else {
        arg_reduce_typed<T, ArgReduceOp::argmin>(static_cast<const T*>(x), y, outer, r, inner);
      }
    }
  });
}

}  // namespace ember::cpu
