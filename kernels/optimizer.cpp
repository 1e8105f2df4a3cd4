// The fused optimizer update on the CPU: one pass over the variables, their gradients and slots.
// The loop is built with the elementwise kernels, once per instruction set
// (kernels/simd/elementwise.cpp, optimizer_update_typed), from the per-element rules of
// core/backend/optimizer_math.h that the CUDA kernel shares.
#include "kernels/cpu_kernels.h"
#include "kernels/elementwise_kernels.h"

namespace ember::cpu {

void optimizer_update(const OptimizerUpdateArgs& args) {
  elementwise_kernels().optimizer_update(args);
}

}  // namespace ember::cpu
