// A block of device memory owned by tensors that share it (internal). Freed through its backend
// when the last tensor lets go.
#pragma once

#include <cstddef>

#include "core/device.h"

namespace ember {

class Backend;

class Storage {
 public:
  /// Allocates `bytes` on `device`; throws DeviceError when the device is unavailable.
  Storage(const Device& device, std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }
  const Device& device() const { return device_; }
  Backend& backend() const { return *backend_; }

 private:
  Device device_;
  Backend* backend_;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace ember
