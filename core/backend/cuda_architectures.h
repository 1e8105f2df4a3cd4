// (internal) Which GPUs the CUDA code in this build can run on. A build holds, per entry of
// CMAKE_CUDA_ARCHITECTURES, machine code (SASS, "-real") for one architecture, PTX ("-virtual")
// that the driver compiles for newer GPUs, or both (a plain number). The decision is a function
// of the queried compute capability, so it is tested on the CPU with made-up GPUs.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

/// One compiled target: compute capability major.minor, as SASS and/or PTX; `specific` for the
/// arch-specific feature sets ("90a"), which run on that exact capability only.
struct CudaTarget {
  int major = 0, minor = 0;
  bool sass = false, ptx = false, specific = false;
};

/// The targets of a CMAKE_CUDA_ARCHITECTURES value ("90", "75;80;90-real", "90a-real,100-virtual";
/// ';' or ','). Unknown entries ("native", "all") give `unknown`: then any GPU is assumed to run.
struct CudaTargets {
  std::vector<CudaTarget> targets;
  bool unknown = false;
  std::string text;
};
CudaTargets parse_cuda_architectures(std::string_view list);

/// Whether a GPU of compute capability major.minor runs this code: SASS of the same major and a
/// minor at most the GPU's (binary compatibility), or PTX of a capability at most the GPU's (the
/// driver compiles it).
bool can_run(const CudaTargets& built, int major, int minor);

/// What default_device does with the first GPU: use it, or warn (this message) and use the CPU.
struct DefaultDeviceChoice {
  bool use_gpu = false;
  std::string warning;  // empty when there is nothing to say
};
DefaultDeviceChoice choose_default_device(int device_count, int major, int minor,
                                          const std::string& name, const CudaTargets& built);

}  // namespace ember::detail
