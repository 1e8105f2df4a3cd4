#include "kernels/cpu_allocator.h"

#include <cstdlib>
#include <new>

#include "core/error.h"

namespace ember::cpu {

HostAllocator::~HostAllocator() { release_cache(); }

std::size_t HostAllocator::rounded(std::size_t bytes) {
  if (bytes < kCachedMinimum) return (bytes + 63) / 64 * 64;
  // Large blocks: round up to 1/8 of their power of two so similar sizes share cache entries.
  std::size_t power = kCachedMinimum;
  while (power * 2 <= bytes) power *= 2;
  const std::size_t step = power / 8;
  return (bytes + step - 1) / step * step;
}

void* HostAllocator::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t size = rounded(bytes);
  live_bytes_ += static_cast<std::int64_t>(bytes);
  if (size >= kCachedMinimum) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(size);
    if (it != cache_.end()) {
      void* p = it->second;
      cache_.erase(it);
      cached_bytes_ -= size;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, size);
  if (p == nullptr) {
    live_bytes_ -= static_cast<std::int64_t>(bytes);
    throw Error(cat("out of host memory: could not allocate ", bytes, " bytes for a tensor"));
  }
  return p;
}

void HostAllocator::deallocate(void* ptr, std::size_t bytes) {
  if (ptr == nullptr) return;
  live_bytes_ -= static_cast<std::int64_t>(bytes);
  const std::size_t size = rounded(bytes);
  if (size >= kCachedMinimum) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_bytes_ + size <= kCacheLimit) {
      cache_.emplace(size, ptr);
      cached_bytes_ += size;
      return;
    }
  }
  std::free(ptr);
}

void HostAllocator::release_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [size, p] : cache_) std::free(p);
  cache_.clear();
  cached_bytes_ = 0;
}

}  // namespace ember::cpu
