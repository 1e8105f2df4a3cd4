// Picks the elementwise kernels built for the best instruction set this processor has.
#include <cstdlib>
#include <string>

#include "kernels/cpu_kernels.h"
#include "kernels/elementwise_kernels.h"

namespace ember::cpu {

const ElementwiseKernels& elementwise_kernels() {
  static const ElementwiseKernels& chosen = []() -> const ElementwiseKernels& {
#if EMBER_CPU_HAS_AVX_BUILDS
    // EMBER_CPU_ISA=baseline|avx2 caps the choice (for comparisons and for debugging).
    const char* cap = std::getenv("EMBER_CPU_ISA");
    const std::string limit = cap ? cap : "";
    __builtin_cpu_init();
    if (limit.empty() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
      return elementwise_kernels_avx512();
    }
    if ((limit.empty() || limit == "avx2") && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("fma")) {
      return elementwise_kernels_avx2();
    }
#endif
    return elementwise_kernels_baseline();
  }();
  return chosen;
}

void fill(DType dtype, void* out, std::int64_t n, ScalarValue value) {
  elementwise_kernels().fill(dtype, out, n, value);
}
void cast(DType from, const void* x, DType to, void* y, std::int64_t n) {
  elementwise_kernels().cast(from, x, to, y, n);
}
void unary(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param) {
  elementwise_kernels().unary(op, dtype, x, y, n, param);
}
void binary(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
            void* out, const StridedLayout& shape) {
  elementwise_kernels().binary(op, dtype, a, b, out, shape);
}
void where(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
           const ElementwiseInput& y, void* out, const StridedLayout& shape) {
  elementwise_kernels().where(dtype, cond, x, y, out, shape);
}

}  // namespace ember::cpu
