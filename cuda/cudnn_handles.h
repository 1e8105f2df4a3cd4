// RAII owners of cuDNN handles and descriptors, and a stream-ordered scratch buffer for host code
// (internal, host C++: cuda/*.cpp include it, .cu files do not). Each owner is movable, not
// copyable, and destroys its object exactly once.
#pragma once

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <cstddef>
#include <optional>
#include <utility>

#include "cuda/cuda_check.h"
#include "cuda/launch.h"

namespace ember::cuda {

/// One cuDNN object of type T, made by Create and released by Destroy.
template <class T, cudnnStatus_t (*Create)(T*), cudnnStatus_t (*Destroy)(T)>
class CudnnObject {
 public:
  CudnnObject() { EMBER_CUDNN_CHECK(Create(&object_)); }
  ~CudnnObject() {
    if (object_ != nullptr) Destroy(object_);  // a destructor must not throw
  }
  CudnnObject(CudnnObject&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  CudnnObject& operator=(CudnnObject&& other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  CudnnObject(const CudnnObject&) = delete;
  CudnnObject& operator=(const CudnnObject&) = delete;
  T get() const { return object_; }

 private:
  T object_ = nullptr;
};

using CudnnHandle = CudnnObject<cudnnHandle_t, cudnnCreate, cudnnDestroy>;
using TensorDescriptor =
    CudnnObject<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor =
    CudnnObject<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor =
    CudnnObject<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                cudnnDestroyConvolutionDescriptor>;

/// Temporary device memory from the backend's pool, allocated and freed in stream order (the
/// work that uses it is queued in between, so nobody waits). Zero bytes hold no memory.
class ScratchBuffer {
 public:
  ScratchBuffer(std::size_t bytes, const StreamContext& ctx) : allocator_(ctx.allocator) {
    if (bytes == 0) return;
    data_ = allocator_->try_allocate(bytes);
    if (data_ == nullptr) throw_out_of_device_memory(ctx.device, bytes);
  }
  ~ScratchBuffer() {
    if (data_ != nullptr) allocator_->deallocate(data_);
  }
  /// A buffer of `bytes`, or none when the device has no room (instead of an error).
  static std::optional<ScratchBuffer> try_allocate(std::size_t bytes, const StreamContext& ctx) {
    ScratchBuffer buffer(0, ctx);
    buffer.data_ = ctx.allocator->try_allocate(bytes);
    if (buffer.data_ == nullptr && bytes > 0) return std::nullopt;
    return buffer;
  }
  ScratchBuffer(ScratchBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), allocator_(other.allocator_) {}
  ScratchBuffer& operator=(ScratchBuffer&&) = delete;
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;
  void* get() const { return data_; }

 private:
  void* data_ = nullptr;
  DeviceAllocator* allocator_;
};

}  // namespace ember::cuda
