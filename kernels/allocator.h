// Host memory for CPU tensors: 64-byte aligned blocks; large blocks are kept in a cache after
// use, because fresh large allocations are mmap'ed by the C library and fault in page by page on
// every use (for a 64 MB tensor that costs more than the arithmetic done on it). The cache holds
// at most kCacheLimit bytes and gives up its least recently freed blocks first, so a change of
// working set (training at batch 64, then evaluating at batch 256) is cached too instead of
// going back to the system on every free.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <mutex>
#include <vector>

namespace ember::cpu {

class HostAllocator {
 public:
  ~HostAllocator();
  void* allocate(std::size_t bytes);
  void deallocate(void* ptr, std::size_t bytes);
  /// Bytes held by live tensors (cached blocks excluded).
  std::int64_t live_bytes() const { return live_bytes_.load(); }
  /// Returns cached blocks to the system.
  void release_cache();
  /// Bytes held in the cache (at most cache_limit()).
  std::size_t cached_bytes();
  static constexpr std::size_t cache_limit() { return kCacheLimit; }

 private:
  static constexpr std::size_t kCachedMinimum = std::size_t{1} << 20;  // 1 MiB
  static constexpr std::size_t kCacheLimit = std::size_t{1} << 30;     // 1 GiB
  // 2^56 bytes (64 PiB): above any machine's memory, below where rounding could overflow.
  static constexpr std::size_t kLargestAllocation = std::size_t{1} << 56;
  static std::size_t rounded(std::size_t bytes);

  struct Block {
    void* ptr;
    std::size_t size;  // rounded
  };
  using Recency = std::list<Block>;  // most recently freed first
  void evict_oldest();               // with mutex_ held

  std::atomic<std::int64_t> live_bytes_{0};
  std::mutex mutex_;
  Recency recency_;
  std::multimap<std::size_t, Recency::iterator> by_size_;  // rounded size -> free block
  std::size_t cached_bytes_ = 0;
};

}  // namespace ember::cpu
