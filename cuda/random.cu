// Philox random numbers on the GPU: element i comes from philox::random_element, the function the
// CPU kernel calls, so a seed gives bit-identical tensors on both devices. core/random/philox.h
// rounds every floating step with the _rn intrinsics here, which nvcc never contracts into FMAs.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/random/philox.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

// out: (r.n,) T
template <class T>
__global__ void random_kernel(RandomArgs r) {
  T* out = static_cast<T*>(r.out);
  for (std::int64_t i = global_thread_index(); i < r.n; i += grid_thread_count()) {
    out[i] = philox::random_element<T>(r, static_cast<std::uint32_t>(i));
  }
}

template <class T>
void random_typed(const RandomArgs& args, const StreamContext& ctx) {
  random_kernel<T><<<grid_blocks(args.n, ctx), kBlockThreads, 0, ctx.stream>>>(args);
  EMBER_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_random(const RandomArgs& args, const StreamContext& ctx) {
  if (args.n <= 0) return;
  switch (args.dtype) {
    case DType::float32:
      random_typed<float>(args, ctx);
      break;
    case DType::float64:
      random_typed<double>(args, ctx);
      break;
    case DType::int32:
      random_typed<std::int32_t>(args, ctx);
      break;
    case DType::int64:
      random_typed<std::int64_t>(args, ctx);
      break;
    default:
      break;
  }
}

}  // namespace ember::cuda
