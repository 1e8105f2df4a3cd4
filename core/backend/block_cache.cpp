#include "core/backend/block_cache.h"

#include "core/error.h"

namespace ember::detail {

BlockCache::BlockCache(std::function<void*(std::size_t)> raw_allocate,
                       std::function<void(void*)> raw_free)
    : raw_allocate_(std::move(raw_allocate)), raw_free_(std::move(raw_free)) {}

BlockCache::~BlockCache() { release_cached(); }

std::size_t BlockCache::rounded(std::size_t bytes) {
  constexpr std::size_t small_step = 512, large_step = std::size_t{2} << 20;
  const std::size_t step = bytes <= (std::size_t{1} << 20) ? small_step : large_step;
  if (bytes > SIZE_MAX - step) return bytes;  // no room to round: let the raw allocator refuse
  return (bytes + step - 1) / step * step;
}

void* BlockCache::allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  const std::size_t size = rounded(bytes);
  const std::lock_guard<std::mutex> lock(mutex_);
  void* block = nullptr;
  if (auto it = free_.find(size); it != free_.end() && !it->second.empty()) {
    block = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= size;
  } else {
    block = raw_allocate_(size);
    if (block == nullptr && cached_bytes_ > 0) {  // out of memory: give the cache back, retry
      release_cached_locked();
      block = raw_allocate_(size);
    }
    if (block == nullptr) return nullptr;
  }
  in_use_[block] = size;
  in_use_bytes_ += size;
  return block;
}

void BlockCache::deallocate(void* block) {
  if (block == nullptr) return;
  const std::lock_guard<std::mutex> lock(mutex_);
  const auto it = in_use_.find(block);
  if (it == in_use_.end())
    internal_error(__FILE__, __LINE__, "BlockCache::deallocate: a block it did not hand out");
  const std::size_t size = it->second;
  in_use_.erase(it);
  in_use_bytes_ -= size;
  free_[size].push_back(block);
  cached_bytes_ += size;
}

std::size_t BlockCache::release_cached() {
  const std::lock_guard<std::mutex> lock(mutex_);
  return release_cached_locked();
}

std::size_t BlockCache::release_cached_locked() {
  const std::size_t released = cached_bytes_;
  for (auto& [size, blocks] : free_)
    for (void* block : blocks) raw_free_(block);
  free_.clear();
  cached_bytes_ = 0;
  return released;
}

std::size_t BlockCache::cached_bytes() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return cached_bytes_;
}

std::size_t BlockCache::in_use_bytes() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return in_use_bytes_;
}

}  // namespace ember::detail
