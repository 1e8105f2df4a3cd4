// Host memory for CPU tensors: 64-byte aligned blocks; large blocks are kept in a cache after
// use, because fresh large allocations are mmap'ed by the C library and fault in page by page on
// every use (for a 64 MB tensor that costs more than the arithmetic done on it).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
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

 private:
  static constexpr std::size_t kCachedMinimum = std::size_t{1} << 20;  // 1 MiB
  static constexpr std::size_t kCacheLimit = std::size_t{1} << 30;     // 1 GiB held at most
  static std::size_t rounded(std::size_t bytes);

  std::atomic<std::int64_t> live_bytes_{0};
  std::mutex mutex_;
  std::multimap<std::size_t, void*> cache_;  // rounded size -> free block
  std::size_t cached_bytes_ = 0;
};

}  // namespace ember::cpu
