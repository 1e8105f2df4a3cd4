// The backend every op reaches (internal): it counts what it passes on to the device's own backend
// (core/counters.h) and changes nothing else. core/backend/registry.cpp wraps each backend once.
#pragma once

#include <memory>

#include "core/backend/backend.h"

namespace ember::detail {

/// Wraps `inner` (kept for the process's lifetime) in a counting backend.
std::unique_ptr<Backend> counting_backend(Backend& inner);

}  // namespace ember::detail
