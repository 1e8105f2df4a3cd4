// The two device allocators of cuda/device_allocator.h and the choice between them.
#include "cuda/device_allocator.h"

#include <cuda_runtime.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/backend/block_cache.h"
#include "core/error.h"
#include "cuda/cuda_check.h"
#include "cuda/device_allocators.h"

namespace ember::cuda {

void throw_out_of_device_memory(int device, std::size_t bytes) {
  throw ResourceExhaustedError(
      cat("cuda:", device, ": out of memory allocating ", bytes, " bytes"));
}

namespace {

bool pools_supported(int index) {
  int value = 0;
  if (cudaDeviceGetAttribute(&value, cudaDevAttrMemoryPoolsSupported, index) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return value != 0;
}

/// The device's default stream-ordered pool, keeping every freed block (release threshold:
/// never), so that no op costs a cudaMalloc after the first step.
class AsyncPoolAllocator final : public DeviceAllocator {
 public:
  AsyncPoolAllocator(int index, cudaStream_t stream) : stream_(stream) {
    EMBER_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool_, index));
    std::uint64_t keep_everything = UINT64_MAX;
    EMBER_CUDA_CHECK(
        cudaMemPoolSetAttribute(pool_, cudaMemPoolAttrReleaseThreshold, &keep_everything));
  }
  void* try_allocate(std::size_t bytes) override {
    void* ptr = nullptr;
    const cudaError_t status = cudaMallocFromPoolAsync(&ptr, bytes, pool_, stream_);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();  // not sticky: the device stays usable once tensors are freed
      return nullptr;
    }
    EMBER_CUDA_CHECK(status);
    return ptr;
  }
  void deallocate(void* ptr) override {
    cudaFreeAsync(ptr, stream_);
    cudaGetLastError();  // during process exit the runtime may be unloading already
  }
  const char* name() const override { return "async"; }

 private:
  cudaStream_t stream_;
  cudaMemPool_t pool_ = nullptr;
};

/// Blocks from cudaMalloc, kept by size for reuse. cudaFree (when the cache is released to make
/// room) waits for the device, which also orders it after the work that used the blocks.
class CachingAllocator final : public DeviceAllocator {
 public:
  CachingAllocator()
      : cache_(
            [](std::size_t bytes) -> void* {
              void* ptr = nullptr;
              if (cudaMalloc(&ptr, bytes) != cudaSuccess) {
                cudaGetLastError();
                return nullptr;
              }
              return ptr;
            },
            [](void* ptr) {
              cudaFree(ptr);
              cudaGetLastError();
            }) {}
  void* try_allocate(std::size_t bytes) override { return cache_.allocate(bytes); }
  void deallocate(void* ptr) override { cache_.deallocate(ptr); }
  const char* name() const override { return "caching"; }

 private:
  detail::BlockCache cache_;
};

}  // namespace

std::unique_ptr<DeviceAllocator> make_device_allocator(int index, cudaStream_t stream) {
  const char* env = std::getenv("EMBER_CUDA_ALLOCATOR");
  const std::string choice = env != nullptr ? env : "";
  if (choice == "caching") return std::make_unique<CachingAllocator>();
  if (choice == "async") {
    if (!pools_supported(index))
      throw DeviceError(
          cat("cuda:", index, ": EMBER_CUDA_ALLOCATOR=async, but the device or ",
              "driver does not support stream-ordered memory pools (cudaMallocAsync)"));
    return std::make_unique<AsyncPoolAllocator>(index, stream);
  }
  if (!choice.empty())
    throw DeviceError(cat("EMBER_CUDA_ALLOCATOR=", choice, ": expected \"async\" or \"caching\""));
  // The probe: pools where the device and driver have them, else the caching allocator.
  if (pools_supported(index)) return std::make_unique<AsyncPoolAllocator>(index, stream);
  return std::make_unique<CachingAllocator>();
}

}  // namespace ember::cuda
