// (internal, host C++) Makes a CUDA backend's device allocator (cuda/device_allocator.h):
// EMBER_CUDA_ALLOCATOR=async or caching chooses by hand; by default the stream-ordered pool
// where the device supports it (probed), else the caching allocator over cudaMalloc.
#pragma once

#include <cuda_runtime_api.h>

#include <memory>

#include "cuda/device_allocator.h"

namespace ember::cuda {

std::unique_ptr<DeviceAllocator> make_device_allocator(int index, cudaStream_t stream);

}  // namespace ember::cuda
