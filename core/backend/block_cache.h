// (internal) A caching allocator's bookkeeping, independent of CUDA so that it is tested on the
// CPU: blocks freed by tensors are kept by their rounded size and handed out again for the same
// size, so a training step that repeats its allocations costs no raw allocation after the first.
// When a raw allocation fails, every cached block is released and the allocation tried once more.
// The CUDA backend uses it over cudaMalloc where stream-ordered pools are not available; reuse
// is safe there because a device has one stream, so a block's next user is queued after its last.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ember::detail {

class BlockCache {
 public:
  /// `raw_allocate` returns nullptr when it cannot; `raw_free` releases what it returned.
  BlockCache(std::function<void*(std::size_t)> raw_allocate, std::function<void(void*)> raw_free);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  /// Releases the cached blocks (blocks still in use are the owners' to free).
  ~BlockCache();

  /// A block of at least `bytes` (cached or new); nullptr when even releasing the cache does
  /// not make room.
  void* allocate(std::size_t bytes);
  /// Returns a block from allocate() to the cache.
  void deallocate(void* block);
  /// Frees every cached block; returns their bytes.
  std::size_t release_cached();

  std::size_t cached_bytes() const;
  std::size_t in_use_bytes() const;

  /// The size a request is rounded to: 512-byte steps up to 1 MiB, 2 MiB steps above, so that
  /// slightly different sizes share blocks.
  static std::size_t rounded(std::size_t bytes);

 private:
  std::size_t release_cached_locked();
  std::function<void*(std::size_t)> raw_allocate_;
  std::function<void(void*)> raw_free_;
  mutable std::mutex mutex_;
  std::map<std::size_t, std::vector<void*>> free_;  // rounded size -> cached blocks
  std::unordered_map<void*, std::size_t> in_use_;   // block -> rounded size
  std::size_t cached_bytes_ = 0, in_use_bytes_ = 0;
};

}  // namespace ember::detail
