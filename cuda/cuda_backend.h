// The CUDA backend: one per GPU, created on first use by core/backend/registry.cpp and never
// destroyed (tensors in static storage free their memory during shutdown). Host header: no CUDA
// headers, so the registry compiles like any other C++20 file.
#pragma once

#include <memory>
#include <string>

#include "core/backend/backend.h"

namespace ember::cuda {

/// The backend of GPU `device_index`: a non-blocking stream, a stream-ordered memory pool and a
/// cuBLAS handle bound to that stream. Throws ember::Error when the device cannot be set up.
std::unique_ptr<Backend> make_backend(int device_index);

/// Number of usable CUDA devices; 0 when there is no driver or no GPU. Never throws.
int device_count();

/// GPU `index`'s compute capability and name; false when it cannot be queried. Never throws.
bool device_properties(int index, int& major, int& minor, std::string& name);

/// Why no GPU is usable (the runtime's error, or "no CUDA device"), for error messages.
std::string unavailable_reason();

}  // namespace ember::cuda
