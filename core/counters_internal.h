// What the counting backend (core/backend/counting_backend.cpp) records (internal).
#pragma once

#include <cstddef>

#include "core/device.h"

namespace ember::detail {

void count_kernel(const Device& device);
void count_host_read(const Device& device, std::size_t bytes);
void count_host_write(const Device& device, std::size_t bytes);
void count_allocation(const Device& device, std::size_t bytes);
void count_deallocation(const Device& device, std::size_t bytes);

}  // namespace ember::detail
