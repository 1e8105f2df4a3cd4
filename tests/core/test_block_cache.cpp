// The caching allocator's bookkeeping (core/backend/block_cache.h), over a fake raw allocator
// that counts its calls and can be made to fail: reuse by size, release on failure, threads.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "core/backend/block_cache.h"
#include "tests/test_support.h"

namespace ember::detail {
namespace {

struct FakeDevice {
  std::size_t capacity = std::size_t{64} << 20;
  std::size_t used = 0;
  std::map<void*, std::size_t> live;
  int allocations = 0, frees = 0;
  std::mutex mutex;

  BlockCache cache() {
    return BlockCache(
        [this](std::size_t bytes) -> void* {
          const std::lock_guard<std::mutex> lock(mutex);
          if (used + bytes > capacity) return nullptr;
          void* p = std::malloc(bytes);
          live[p] = bytes;
          used += bytes;
          ++allocations;
          return p;
        },
        [this](void* p) {
          const std::lock_guard<std::mutex> lock(mutex);
          used -= live.at(p);
          live.erase(p);
          std::free(p);
          ++frees;
        });
  }
};

TEST(BlockCache, RoundsSmallRequestsTo512BytesAndLargeOnesTo2MiB) {
  EXPECT_EQ(BlockCache::rounded(1), 512u);
  EXPECT_EQ(BlockCache::rounded(512), 512u);
  EXPECT_EQ(BlockCache::rounded(513), 1024u);
  EXPECT_EQ(BlockCache::rounded(std::size_t{1} << 20), std::size_t{1} << 20);
  EXPECT_EQ(BlockCache::rounded((std::size_t{1} << 20) + 1), std::size_t{2} << 20);
  EXPECT_EQ(BlockCache::rounded((std::size_t{5} << 20) + 3), std::size_t{6} << 20);
}

TEST(BlockCache, AFreedBlockServesTheNextRequestOfItsSize) {
  FakeDevice device;
  BlockCache cache = device.cache();
  void* a = cache.allocate(1000);
  void* b = cache.allocate(3000);
  EXPECT_EQ(device.allocations, 2);
  EXPECT_EQ(cache.in_use_bytes(), 1024u + 3072u);
  cache.deallocate(a);
  EXPECT_EQ(cache.cached_bytes(), 1024u);
  EXPECT_EQ(cache.allocate(900), a);  // the same rounded size: the cached block, no new one
  EXPECT_EQ(device.allocations, 2);
  void* c = cache.allocate(5000);  // another size: a new block
  EXPECT_NE(c, a);
  EXPECT_EQ(device.allocations, 3);
  // A repeated step allocates nothing new.
  for (int step = 0; step < 100; ++step) {
    cache.deallocate(b);
    b = cache.allocate(3000);
  }
  EXPECT_EQ(device.allocations, 3);
  EXPECT_EQ(cache.allocate(0), nullptr);
  cache.deallocate(nullptr);
  // Blocks in use are their owners' to give back; the cache releases only what it holds.
  for (void* block : {a, b, c}) cache.deallocate(block);
  EXPECT_EQ(cache.in_use_bytes(), 0u);
}

TEST(BlockCache, OutOfMemoryReleasesTheCacheAndTriesAgain) {
  FakeDevice device;
  device.capacity = std::size_t{8} << 20;
  BlockCache cache = device.cache();
  void* big = cache.allocate(std::size_t{6} << 20);
  ASSERT_NE(big, nullptr);
  cache.deallocate(big);                               // 6 MiB cached, the device has 2 MiB left
  void* other = cache.allocate(std::size_t{4} << 20);  // fits only once the cache is released
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(device.frees, 1);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  EXPECT_EQ(cache.allocate(std::size_t{16} << 20), nullptr);  // more than the device: refused
  cache.deallocate(other);
  EXPECT_EQ(cache.release_cached(), std::size_t{4} << 20);
  EXPECT_TRUE(device.live.empty());
}

TEST(BlockCache, ThreadsShareItSafely) {
  FakeDevice device;
  {
    BlockCache cache = device.cache();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&cache, t] {
        for (int i = 0; i < 2000; ++i) {
          void* p = cache.allocate(static_cast<std::size_t>(512 * (1 + (i + t) % 7)));
          ASSERT_NE(p, nullptr);
          cache.deallocate(p);
        }
      });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(cache.in_use_bytes(), 0u);
    EXPECT_LE(device.allocations, 4 * 7);  // at most one block per size and thread
  }
  EXPECT_TRUE(device.live.empty());  // the destructor released the cache
}

}  // namespace
}  // namespace ember::detail
