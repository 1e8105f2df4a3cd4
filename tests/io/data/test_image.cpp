// Image augmentation: flips and crops against index arithmetic written here; every random output
// must be one of the allowed transforms of its input; reproducible with a seed; usable in a
// Dataset map; bad shapes.
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::values_of;

class Images : public testing::OnDevice {};
INSTANTIATE_TEST_SUITE_P(Devices, Images, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

constexpr std::int64_t N = 6, H = 5, W = 4, C = 3;

/// Pixel values that encode their position: value(n, y, x, c) = 1000n + 100y + 10x + c.
Tensor numbered() {
  std::vector<float> v;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x)
        for (std::int64_t c = 0; c < C; ++c)
          v.push_back(static_cast<float>(1000 * n + 100 * y + 10 * x + c));
  return constant(v, {N, H, W, C});
}

double at(const std::vector<double>& v, std::int64_t h, std::int64_t w, std::int64_t n,
          std::int64_t y, std::int64_t x, std::int64_t c) {
  return v[static_cast<std::size_t>(((n * h + y) * w + x) * C + c)];
}

TEST_P(Images, FlipsMirrorEveryImage) {
  const std::vector<double> lr = values_of(image::flip_left_right(numbered()));
  const std::vector<double> ud = values_of(image::flip_up_down(numbered()));
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x)
        for (std::int64_t c = 0; c < C; ++c) {
          ASSERT_EQ(at(lr, H, W, n, y, x, c), 1000 * n + 100 * y + 10 * (W - 1 - x) + c);
          ASSERT_EQ(at(ud, H, W, n, y, x, c), 1000 * n + 100 * (H - 1 - y) + 10 * x + c);
        }
  // A single HWC image stays HWC.
  EXPECT_EQ(image::flip_left_right(numbered()[0]).shape(), Shape({H, W, C}));
}

TEST_P(Images, RandomFlipFlipsEachImageOrNot) {
  random::set_seed(3);
  const Tensor big = tile(numbered(), {20, 1, 1, 1});  // 120 images
  const std::vector<double> out = values_of(image::random_flip_left_right(big));
  int flipped = 0;
  for (std::int64_t n = 0; n < 120; ++n) {
    const bool mirrored = at(out, H, W, n, 0, 0, 0) == 1000 * (n % N) + 10 * (W - 1);
    flipped += mirrored;
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x)
        ASSERT_EQ(at(out, H, W, n, y, x, 1),
                  1000 * (n % N) + 100 * y + 10 * (mirrored ? W - 1 - x : x) + 1);
  }
  EXPECT_GT(flipped, 30);
  EXPECT_LT(flipped, 90);
}

TEST_P(Images, RandomCropWithPaddingShiftsWithZeroBorders) {
  random::Generator generator(11);
  const std::int64_t pad = 2;
  const std::vector<double> out =
      values_of(image::random_crop_with_padding(numbered(), pad, generator));
  for (std::int64_t n = 0; n < N; ++n) {
    // Find the shift (dy, dx) in [-pad, pad] that explains the whole image.
    bool explained = false;
    for (std::int64_t dy = -pad; dy <= pad && !explained; ++dy)
      for (std::int64_t dx = -pad; dx <= pad && !explained; ++dx) {
        bool all = true;
        for (std::int64_t y = 0; y < H && all; ++y)
          for (std::int64_t x = 0; x < W && all; ++x) {
            const std::int64_t sy = y + dy, sx = x + dx;
            const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
            const double expected = inside ? 1000 * n + 100 * sy + 10 * sx + 2 : 0.0;
            all = at(out, H, W, n, y, x, 2) == expected;
          }
        explained = all;
      }
    EXPECT_TRUE(explained) << "image " << n << " is not a shifted copy";
  }
  random::Generator again(11);
  EXPECT_EQ(values_of(image::random_crop_with_padding(numbered(), pad, again)), out)
      << "same seed, same crops";
}

TEST_P(Images, RandomCropPicksAWindow) {
  const std::vector<double> out = values_of(image::random_crop(numbered(), 3, 2));
  for (std::int64_t n = 0; n < N; ++n) {
    const double corner = at(out, 3, 2, n, 0, 0, 0) - 1000 * n;
    const std::int64_t y0 = static_cast<std::int64_t>(corner) / 100,
                       x0 = (static_cast<std::int64_t>(corner) % 100) / 10;
    ASSERT_LE(y0, H - 3);
    ASSERT_LE(x0, W - 2);
    for (std::int64_t y = 0; y < 3; ++y)
      for (std::int64_t x = 0; x < 2; ++x)
        ASSERT_EQ(at(out, 3, 2, n, y, x, 0), 1000 * n + 100 * (y0 + y) + 10 * (x0 + x));
  }
  EXPECT_THROW(image::random_crop(numbered(), H + 1, W), ShapeError);
  EXPECT_THROW(image::random_flip_left_right(zeros({4, 4})), ShapeError);
  EXPECT_THROW(image::random_crop_with_padding(numbered(), -1), Error);
}

TEST_P(Images, AugmentationWorksInsideADatasetMap) {
  const Dataset data =
      Dataset::from_tensor_slices({numbered(), range(Scalar(std::int64_t{N}))})
          .batch(4)
          .map([](const Dataset::Element& e) -> Dataset::Element {
            return {image::random_flip_left_right(image::random_crop_with_padding(e[0], 1)), e[1]};
          })
          .prefetch(2);
  std::int64_t rows = 0;
  for (const auto& batch : data) {
    EXPECT_EQ(batch[0].shape(1), H);
    rows += batch[0].shape(0);
  }
  EXPECT_EQ(rows, N);
}

TEST_P(Images, AugmentationNeitherReadsNorUploadsPerBatch) {
  random::set_seed(4);
  const Tensor images = numbered();
  const auto augment = [&] {
    return image::random_flip_up_down(
        image::random_flip_left_right(image::random_crop_with_padding(images, 2)));
  };
  (void)augment();  // the first batch makes the index grids, once
  debug::reset_counters();
  const Tensor out = augment();
  const debug::Counters c = debug::counters();
  EXPECT_EQ(c.host_reads, 0);  // the draws stay on the device: a GPU step never waits here
  EXPECT_EQ(c.host_writes, 0);
  EXPECT_EQ(out.shape(), images.shape());
}

}  // namespace
}  // namespace ember
