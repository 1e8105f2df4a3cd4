// Philox random numbers on the CPU. Compiled with -ffp-contract=off so every floating operation
// rounds exactly like its CUDA twin (core/random/philox.h).
#include <cstdint>

#include "core/random/philox.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

template <class T>
void random_typed(const RandomArgs& r) {
  T* out = static_cast<T*>(r.out);
  parallel_for(r.n, 4096, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      out[i] = philox::random_element<T>(r, static_cast<std::uint32_t>(i));
    }
  });
}

}  // namespace

void random(const RandomArgs& args) {
  switch (args.dtype) {
    case DType::float32:
      random_typed<float>(args);
      break;
    case DType::float64:
      random_typed<double>(args);
      break;
    case DType::int32:
      random_typed<std::int32_t>(args);
      break;
    case DType::int64:
      random_typed<std::int64_t>(args);
      break;
    default:
      break;
  }
}

}  // namespace ember::cpu
