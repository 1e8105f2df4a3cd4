// The fused optimizer update: one pass over every variable of a dtype, their gradients and their
// slots, with the per-element rule of core/backend/optimizer_math.h (shared with the CPU), in one
// launch for up to kTensorsPerLaunch variables (PyTorch's multi-tensor apply does the same). The
// variables' pointers and sizes travel in the kernel's arguments, not through a copy to the device:
// each block updates one chunk of one variable, found in the argument's block table. Elements whose
// gradient is not finite are counted (one atomic per thread that saw any) and, when asked, left
// untouched.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/backend/optimizer_math.h"
#include "cuda/cuda_check.h"
#include "cuda/kernel_support.cuh"
#include "cuda/launch.h"

namespace ember::cuda {
namespace {

struct Coefficients {
  double values[6];
};

// What one launch updates. Kernel arguments may take 4 KiB: 24 tensors (48 B each) and 256 block
// entries (8 B each) fit with room to spare.
constexpr int kTensorsPerLaunch = 24;
constexpr int kBlocksPerLaunch = 256;
constexpr std::int64_t kChunkElements = 16 * kBlockThreads;  // per block

struct TensorTable {
  void* param[kTensorsPerLaunch];
  const void* grad[kTensorsPerLaunch];
  void* slots[3][kTensorsPerLaunch];
  std::int64_t n[kTensorsPerLaunch];
  // Block b updates elements [chunk * kChunkElements, ...) of tensor `tensor`.
  unsigned char tensor[kBlocksPerLaunch];
  int chunk[kBlocksPerLaunch];
};

static_assert(sizeof(TensorTable) + 128 <= 4096, "the table must fit in a kernel's arguments");

template <OptimizerRule Rule, class T>
__global__ void optimizer_update_kernel(TensorTable table, Coefficients coeff, T lr, T decay,
                                        unsigned long long* nonfinite_count, bool skip_nonfinite) {
  const int t = table.tensor[blockIdx.x];
  T* p = static_cast<T*>(table.param[t]);
  const T* g = static_cast<const T*>(table.grad[t]);
  T* s0 = static_cast<T*>(table.slots[0][t]);
  T* s1 = static_cast<T*>(table.slots[1][t]);
  T* s2 = static_cast<T*>(table.slots[2][t]);
  const std::int64_t begin = static_cast<std::int64_t>(table.chunk[blockIdx.x]) * kChunkElements;
  const std::int64_t end =
      begin + kChunkElements < table.n[t] ? begin + kChunkElements : table.n[t];
  T c[6];
  for (int i = 0; i < 6; ++i) c[i] = static_cast<T>(coeff.values[i]);
  unsigned long long skipped = 0;
  for (std::int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const T gi = g[i];
    if (!(gi - gi == T(0))) {  // NaN or infinite
      ++skipped;
      if (skip_nonfinite) continue;
    }
    T absent[3] = {0, 0, 0};
    math::optimizer_step<Rule, T>(p[i], gi, s0 ? s0 + i : &absent[0], s1 ? s1 + i : &absent[1],
                                  s2 ? s2 + i : &absent[2], c, lr, decay);
  }
  // Rare: only threads that skipped something touch the counter.
  if (skipped != 0) atomicAdd(nonfinite_count, skipped);
}

template <OptimizerRule Rule, class T>
void launch_table(const OptimizerUpdateArgs& a, const TensorTable& table, int blocks,
                  const StreamContext& ctx) {
  Coefficients coeff;
  for (int i = 0; i < 6; ++i) coeff.values[i] = a.coefficients[i];
  optimizer_update_kernel<Rule, T><<<blocks, kBlockThreads, 0, ctx.stream>>>(
      table, coeff, static_cast<T>(a.learning_rate), static_cast<T>(a.decay),
      reinterpret_cast<unsigned long long*>(a.nonfinite_count), a.skip_nonfinite);
  EMBER_CUDA_CHECK_LAUNCH();
}

// Fills tables with the variables' chunks in order and launches each table when it is full (of
// tensors or of blocks) and at the end: one launch for a model of up to 24 variables and 256
// chunks (a million float32 parameters), a few for a larger one.
template <OptimizerRule Rule, class T>
void update_typed(const OptimizerUpdateArgs& a, const StreamContext& ctx) {
  TensorTable table{};
  int tensors = 0, blocks = 0;
  for (std::size_t v = 0; v < a.count; ++v) {
    const OptimizerTensor& x = a.tensors[v];
    if (x.n == 0) continue;
    const std::int64_t chunks = (x.n + kChunkElements - 1) / kChunkElements;
    for (std::int64_t chunk = 0; chunk < chunks; ++chunk) {
      if (chunk == 0 || blocks == 0) {  // the tensor enters this table
        if (tensors == kTensorsPerLaunch) {
          launch_table<Rule, T>(a, table, blocks, ctx);
          tensors = blocks = 0;
        }
        table.param[tensors] = x.param;
        table.grad[tensors] = x.grad;
        for (int s = 0; s < 3; ++s) table.slots[s][tensors] = x.slots[s];
        table.n[tensors] = x.n;
        ++tensors;
      }
      table.tensor[blocks] = static_cast<unsigned char>(tensors - 1);
      table.chunk[blocks] = static_cast<int>(chunk);
      if (++blocks == kBlocksPerLaunch) {
        launch_table<Rule, T>(a, table, blocks, ctx);
        tensors = blocks = 0;
      }
    }
  }
  if (blocks > 0) launch_table<Rule, T>(a, table, blocks, ctx);
}

}  // namespace

void launch_optimizer_update(const OptimizerUpdateArgs& args, const StreamContext& ctx) {
  math::dispatch_optimizer_rule(args.rule, [&](auto tag) {
    constexpr OptimizerRule kRule = decltype(tag)::value;
    if (args.dtype == DType::float32) {
      update_typed<kRule, float>(args, ctx);
    } else {
      update_typed<kRule, double>(args, ctx);
    }
  });
}

}  // namespace ember::cuda
