// The 16-bit floating types at the backend boundary (internal). The wrapper passes float16 and
// bfloat16 to a device's backend only where it runs them natively (Backend::runs_natively, and the
// primitives that only move bits); for every other primitive it widens the 16-bit operands to
// float32 temporaries, runs the float32 primitive, and rounds the results back once. An op on
// 16-bit tensors thus computes in float32, as TensorFlow's and PyTorch's CPU kernels do, and every
// op and gradient works on them without a kernel of its own. core/backend/registry.cpp wraps each
// backend once.
#pragma once

#include <memory>

#include "core/backend/backend.h"

namespace ember::detail {

/// Wraps `inner` (kept for the process's lifetime) so that it accepts 16-bit floating dtypes.
std::unique_ptr<Backend> half_precision_backend(Backend& inner);

}  // namespace ember::detail
