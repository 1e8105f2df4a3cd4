#include "kernels/allocator.h"

#include <sys/sysinfo.h>

#include <bit>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <new>

#include "core/error.h"

namespace ember::cpu {

HostAllocator::~HostAllocator() { release_cache(); }

std::size_t HostAllocator::rounded(std::size_t bytes) {
  if (bytes < kCachedMinimum) return (bytes + 63) / 64 * 64;
  // Large blocks: round up to 1/8 of their power of two so similar sizes share cache entries
  // (bytes <= kLargestAllocation, so nothing here overflows).
  const std::size_t step = std::bit_floor(bytes) / 8;
  return (bytes + step - 1) / step * step;
}

namespace {

/// Physical memory plus swap, read once (sysinfo); unbounded when it cannot be read.
std::size_t machine_memory() {
  static const std::size_t total = [] {
    struct sysinfo info {};
    if (::sysinfo(&info) != 0 || info.totalram == 0) return std::numeric_limits<std::size_t>::max();
    return static_cast<std::size_t>(info.totalram + info.totalswap) * info.mem_unit;
  }();
  return total;
}

}  // namespace

void* HostAllocator::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  if (bytes > kLargestAllocation) {
    throw ResourceExhaustedError(cat("out of host memory: could not allocate ", bytes,
                                     " bytes for a tensor (more than any machine's memory)"));
  }
  // More than the machine has would be granted lazily (overcommit) and end in the OOM killer
  // when touched: refused now, cleanly, like a size from a crafted config.
  if (bytes > machine_memory()) {
    throw ResourceExhaustedError(cat("out of host memory: could not allocate ", bytes,
                                     " bytes for a tensor (more than this machine's ",
                                     machine_memory(), " bytes of memory and swap)"));
  }
  const std::size_t size = rounded(bytes);
  live_bytes_ += static_cast<std::int64_t>(bytes);
  if (size >= kCachedMinimum) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto it = by_size_.find(size); it != by_size_.end()) {
      void* p = it->second->ptr;
      recency_.erase(it->second);
      by_size_.erase(it);
      cached_bytes_ -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    release_cache();  // blocks of other sizes may be what stands in the way
    p = std::aligned_alloc(64, size);
  }
  if (p == nullptr) {
    live_bytes_ -= static_cast<std::int64_t>(bytes);
    throw ResourceExhaustedError(
        cat("out of host memory: could not allocate ", bytes, " bytes for a tensor"));
  }
  return p;
}

void HostAllocator::deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  live_bytes_ -= static_cast<std::int64_t>(bytes);
  const std::size_t size = rounded(bytes);
  if (size >= kCachedMinimum && size <= kCacheLimit) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (cached_bytes_ + size > kCacheLimit) evict_oldest();
    recency_.push_front({ptr, size});
    by_size_.emplace(size, recency_.begin());
    cached_bytes_ += size;
    return;
  }
  std::free(ptr);
}

void HostAllocator::evict_oldest() {
  const Recency::iterator oldest = std::prev(recency_.end());
  auto [first, last] = by_size_.equal_range(oldest->size);
  while (first->second != oldest) ++first;  // a few blocks of one size at most
  by_size_.erase(first);
  std::free(oldest->ptr);
  cached_bytes_ -= oldest->size;
  recency_.erase(oldest);
}

std::size_t HostAllocator::cached_bytes() {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_bytes_;
}

void HostAllocator::release_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const Block& block : recency_) std::free(block.ptr);
  recency_.clear();
  by_size_.clear();
  cached_bytes_ = 0;
}

}  // namespace ember::cpu
