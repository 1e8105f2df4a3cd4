// Which backend serves which device. The only place that knows whether CUDA was compiled in.
#include <array>
#include <memory>
#include <mutex>

#include "core/backend/backend.h"
#include "core/backend/counting_backend.h"
#include "core/backend/half_precision_backend.h"
#include "core/error.h"
#include "kernels/cpu_backend.h"

#if EMBER_WITH_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace ember::detail {
namespace {

constexpr int kMaxCudaDevices = 16;

// Backends live for the whole process (never destroyed), so tensors held in static variables
// can still free their memory during shutdown. Ops reach each through the wrapper that widens
// 16-bit floating types (core/backend/half_precision_backend.h), over the counting wrapper
// (core/counters.h), so the counters see the widening casts and temporaries as what they are.
Backend& counted(std::unique_ptr<Backend> backend) {
  Backend& counting = *counting_backend(*backend.release()).release();
  return *half_precision_backend(counting).release();
}

Backend& cpu_backend() {
  static Backend& backend = counted(cpu::make_backend());
  return backend;
}

}  // namespace

bool cuda_backend_compiled() { return EMBER_WITH_CUDA != 0; }

int cuda_backend_device_count() {
#if EMBER_WITH_CUDA
  static const int count = std::min(cuda::device_count(), kMaxCudaDevices);
  return count;
#else
  return 0;
#endif
}

std::string cuda_unavailable_reason() {
#if EMBER_WITH_CUDA
  return cuda::unavailable_reason();
#else
  return "built without CUDA";
#endif
}

CudaDeviceProperties cuda_backend_properties(int index) {
  CudaDeviceProperties out;
#if EMBER_WITH_CUDA
  if (!cuda::device_properties(index, out.major, out.minor, out.name)) return {};
#else
  (void)index;
#endif
  return out;
}

std::string cuda_built_architectures() {
#ifdef EMBER_CUDA_ARCHITECTURES
  return EMBER_CUDA_ARCHITECTURES;
#else
  return "";
#endif
}

Backend& backend_for(const Device& device) {
  if (device.is_cpu()) return cpu_backend();
  check_device_available(device);
#if EMBER_WITH_CUDA
  static std::array<Backend*, kMaxCudaDevices> backends{};
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);
  Backend*& backend = backends[device.index];
  if (backend == nullptr) backend = &counted(cuda::make_backend(device.index));
  return *backend;
#else
  throw DeviceError("unreachable: check_device_available rejects CUDA without CUDA");
#endif
}

}  // namespace ember::detail
