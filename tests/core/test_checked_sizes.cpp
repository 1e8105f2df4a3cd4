// Sizes made from untrusted numbers (#18): shapes whose element count or byte count exceeds
// int64 are errors, not wrapped products, and an allocation no machine can satisfy is a
// ResourceExhaustedError that comes back at once (the host allocator's rounding used to spin
// for ever on 2^63 bytes).
#include <chrono>
#include <limits>
#include <type_traits>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

constexpr std::int64_t k2to61 = std::int64_t{1} << 61;
constexpr std::int64_t k2to62 = std::int64_t{1} << 62;

TEST(CheckedSizes, ProductsThatOverflowAreRefused) {
  EXPECT_EQ(checked_multiply(3, 4), 12);
  EXPECT_EQ(checked_multiply(0, std::numeric_limits<std::int64_t>::max()), 0);
  EXPECT_EQ(checked_multiply(k2to62, 2), std::nullopt);
  EXPECT_EQ(checked_multiply(-1, 2), std::nullopt) << "sizes are never negative";
  EXPECT_EQ(checked_product({2, 3, 4}), 24);
  EXPECT_EQ(checked_product({}), 1);
  EXPECT_EQ(checked_product({k2to62, 4}), std::nullopt);
  EXPECT_EQ(checked_product({k2to62, 4, 0}), std::nullopt) << "the product is made in order";
  EXPECT_EQ(checked_product({3, -1}), std::nullopt);

  EXPECT_EQ(Shape({k2to61, 2}).num_elements(), k2to62);
  EXPECT_EQ(Shape({-1, 784}).num_elements(), -784) << "reshape's -1 is left to reshape";
  expect_error<ShapeError>(
      [] {
        (void)Shape({k2to62, 4}).num_elements();
      },
      {"shape (4611686018427387904, 4)", "more elements than an int64"});
}

TEST(CheckedSizes, ImpossibleAllocationsFailAtOnceNamingTheBytes) {
  const auto started = std::chrono::steady_clock::now();
  // 2^61 float32 elements: 2^63 bytes, past int64.
  expect_error<ResourceExhaustedError>([] { zeros({k2to61}); },
                                       {"(2305843009213693952,)", "float32", "exceeds 2^63"});
  expect_error<ResourceExhaustedError>([] { zeros({k2to62, 4}); }, {"(4611686018427387904, 4)"});
  // Representable, but beyond any machine: refused by the allocator before rounding it.
  expect_error<ResourceExhaustedError>([] { zeros({k2to61 / 4}); },
                                       {"out of host memory", "2305843009213693952 bytes"});
  expect_error<ResourceExhaustedError>(
      [] {
        ones({std::int64_t{1} << 40, 1 << 20}, uint8);
      },
      {"out of host memory"});
  // 4 TiB: below 2^56, so the allocator's own bound lets it through, but more than this machine
  // (or any test machine) has; granted lazily it would end in the OOM killer when touched.
  if (default_device().is_cpu()) {
    expect_error<ResourceExhaustedError>([] { zeros({std::int64_t{1} << 40}); },
                                         {"out of host memory", "this machine's"});
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  static_assert(std::is_base_of_v<Error, ResourceExhaustedError>);
  // The failed requests left the allocator working.
  EXPECT_EQ(zeros({3}).to_vector<float>(), (std::vector<float>{0, 0, 0}));
}

}  // namespace
}  // namespace ember
