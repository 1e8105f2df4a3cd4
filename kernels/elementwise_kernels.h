// The elementwise CPU kernels are compiled once per x86 instruction set (kernels/simd/, built by
// CMake with -msse2, -mavx2 -mfma and -mavx512*), and the best one the processor supports is
// picked at run time: vectorised exp/tanh and broadcasting loops run 4-10x faster with AVX-512
// than with the x86-64 baseline, while one binary still runs on any x86-64 machine.
#pragma once

#include <cstdint>

#include "core/backend/kernel_types.h"

namespace ember::cpu {

struct ElementwiseKernels {
  const char* instruction_set;
  void (*fill)(DType dtype, void* out, std::int64_t n, ScalarValue value);
  void (*cast)(DType from, const void* x, DType to, void* y, std::int64_t n);
  void (*unary)(UnaryOp op, DType dtype, const void* x, void* y, std::int64_t n, double param);
  void (*binary)(BinaryOp op, DType dtype, const ElementwiseInput& a, const ElementwiseInput& b,
                 void* out, const StridedLayout& shape);
  void (*where)(DType dtype, const ElementwiseInput& cond, const ElementwiseInput& x,
                const ElementwiseInput& y, void* out, const StridedLayout& shape);
  void (*optimizer_update)(const OptimizerUpdateArgs& args);
};

// One per build of kernels/simd/elementwise.cpp (the AVX ones exist on x86-64 builds only).
const ElementwiseKernels& elementwise_kernels_baseline();
const ElementwiseKernels& elementwise_kernels_avx2();
const ElementwiseKernels& elementwise_kernels_avx512();

/// The kernels for this processor (chosen once).
const ElementwiseKernels& elementwise_kernels();

}  // namespace ember::cpu
