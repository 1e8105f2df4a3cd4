// (internal, thin: C++17, included by .cu files through launch.h) Where a CUDA backend's device
// memory comes from: the device's stream-ordered pool (cudaMallocAsync), or, where pools are not
// supported or EMBER_CUDA_ALLOCATOR=caching asks for it, a caching allocator over cudaMalloc
// (core/backend/block_cache.h). Both hand out memory usable in the order of the device's one
// stream, so a block freed by a tensor may serve the next allocation at once.
#pragma once

#include <cstddef>

namespace ember::cuda {

class DeviceAllocator {
 public:
  virtual ~DeviceAllocator() = default;
  /// `bytes` of device memory, or nullptr when the device has no room (not an error: callers
  /// either report it with the sizes or try a smaller request).
  virtual void* try_allocate(std::size_t bytes) = 0;
  /// Gives back what try_allocate returned. Never throws (it runs in destructors, and during
  /// process exit).
  virtual void deallocate(void* ptr) = 0;
  /// "async" or "caching".
  virtual const char* name() const = 0;
};

/// Throws the ResourceExhaustedError of a failed device allocation of `bytes` on `device`.
[[noreturn]] void throw_out_of_device_memory(int device, std::size_t bytes);

}  // namespace ember::cuda
