// Random ops: the Philox known-answer vectors, distribution statistics against closed forms,
// seeding, and shuffles.
#include <algorithm>
#include <set>

#include "core/random/philox.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;
using testing::values_of;

// Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
TEST(Philox, MatchesRandom123KnownAnswers) {
  const philox::Block zero = philox::philox4x32({{0, 0, 0, 0}}, 0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[1], 0xe169c58du);
  EXPECT_EQ(zero.v[2], 0xbc57ac4cu);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
  const philox::Block ones = philox::philox4x32({{~0u, ~0u, ~0u, ~0u}}, ~0u, ~0u);
  EXPECT_EQ(ones.v[0], 0x408f276du);
  EXPECT_EQ(ones.v[1], 0x41c83b0eu);
  EXPECT_EQ(ones.v[2], 0xa20bc7c6u);
  EXPECT_EQ(ones.v[3], 0x6d5451fdu);
  const philox::Block pi = philox::philox4x32(
      {{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(pi.v[0], 0xd16cfe09u);
  EXPECT_EQ(pi.v[1], 0x94fdccebu);
  EXPECT_EQ(pi.v[2], 0x5001e420u);
  EXPECT_EQ(pi.v[3], 0x24126ea1u);
}

TEST(Philox, DeterministicMathIsAccurate) {
  for (double x : {1e-300, 1e-10, 0.001, 0.3, 0.5, 0.70710678, 0.9, 0.999999, 1.0}) {
    EXPECT_NEAR(philox::log_deterministic(x), std::log(x),
                1e-15 * std::max(1.0, std::fabs(std::log(x))));
  }
  for (int i = 0; i < 1000; ++i) {
    const double u = i / 1000.0;
    double c, s;
    philox::cos_sin_2pi(u, &c, &s);
    EXPECT_NEAR(c, std::cos(2 * M_PI * u), 1e-15);
    EXPECT_NEAR(s, std::sin(2 * M_PI * u), 1e-15);
  }
}

class Random : public testing::OnDevice {};

struct Moments {
  double mean, stddev, min, max;
};
Moments moments(const Tensor& t) {
  const auto v = values_of(t);
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  const double mean = sum / v.size();
  for (double x : v) sq += (x - mean) * (x - mean);
  return {mean, std::sqrt(sq / v.size()), *std::min_element(v.begin(), v.end()),
          *std::max_element(v.begin(), v.end())};
}

TEST_P(Random, NormalHasTheRequestedMoments) {
  random::set_seed(1);
  const Tensor n = random::normal({200000}, _mean = 3.0, _stddev = 2.0);
  EXPECT_EQ(n.dtype(), float32);
  const Moments m = moments(n);
  EXPECT_NEAR(m.mean, 3.0, 0.02);  // standard error 2/sqrt(2e5) = 0.0045
  EXPECT_NEAR(m.stddev, 2.0, 0.02);
  EXPECT_EQ(random::normal({3, 2}, _dtype = float64).dtype(), float64);
  // Fraction within one sigma: 0.6827.
  const auto v = values_of(n);
  const double within =
      std::count_if(v.begin(), v.end(), [](double x) { return std::fabs(x - 3) < 2; });
  EXPECT_NEAR(within / v.size(), 0.6827, 0.005);
}

TEST_P(Random, TruncatedNormalStaysWithinTwoSigma) {
  random::set_seed(2);
  const Tensor t = random::truncated_normal({200000}, _stddev = 0.5);
  const Moments m = moments(t);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LE(m.max, 1.0);
  EXPECT_NEAR(m.mean, 0.0, 0.01);
  // The standard deviation of a standard normal truncated at +-2 is 0.87962.
  EXPECT_NEAR(m.stddev, 0.5 * 0.87962, 0.005);
}

TEST_P(Random, UniformCoversItsRange) {
  random::set_seed(3);
  const Tensor u = random::uniform({200000}, _minval = -1.0, _maxval = 3.0);
  const Moments m = moments(u);
  EXPECT_GE(m.min, -1.0);
  EXPECT_LT(m.max, 3.0);
  EXPECT_NEAR(m.mean, 1.0, 0.02);
  EXPECT_NEAR(m.stddev, 4.0 / std::sqrt(12.0), 0.01);
  const Tensor d = random::uniform({100000}, _minval = 0, _maxval = 1, _dtype = float64);
  EXPECT_LT(moments(d).max, 1.0);
  const Tensor i = random::uniform({10000}, _minval = 5, _maxval = 10, _dtype = int32);
  EXPECT_EQ(i.dtype(), int32);
  const auto iv = i.to_vector<std::int32_t>();
  EXPECT_EQ(std::set<std::int32_t>(iv.begin(), iv.end()), (std::set<std::int32_t>{5, 6, 7, 8, 9}));
  expect_error<Error>([] { random::uniform({2}, _dtype = int32); }, {"maxval"});
  expect_error<Error>([] { random::uniform({2}, _minval = 2, _maxval = 1); }, {"minval < maxval"});
  expect_error<DTypeError>([] { random::normal({2}, _dtype = int32); }, {"floating"});
}

TEST_P(Random, SeedsReproduceSequences) {
  random::set_seed(5);
  const auto a1 = random::normal({100}).to_vector<float>();
  const auto a2 = random::uniform({100}).to_vector<float>();
  random::set_seed(5);
  EXPECT_EQ(random::normal({100}).to_vector<float>(), a1);
  EXPECT_EQ(random::uniform({100}).to_vector<float>(), a2);
  EXPECT_NE(random::normal({100}).to_vector<float>(), a1);  // the next call differs
  random::set_seed(6);
  EXPECT_NE(random::normal({100}).to_vector<float>(), a1);
}

TEST_P(Random, ShuffleIsAPermutationOfRows) {
  random::set_seed(7);
  const Tensor x = reshape(range(20), {10, 2});
  const Tensor s = random::shuffle(x);
  EXPECT_EQ(s.shape(), x.shape());
  const auto v = s.to_vector<std::int32_t>();
  std::vector<std::int32_t> firsts;
  for (int r = 0; r < 10; ++r) {
    EXPECT_EQ(v[2 * r + 1], v[2 * r] + 1);  // rows stay whole
    firsts.push_back(v[2 * r]);
  }
  std::vector<std::int32_t> sorted = firsts;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::int32_t>{0, 2, 4, 6, 8, 10, 12, 14, 16, 18}));
  EXPECT_NE(firsts, sorted);  // 1 chance in 10! of a false failure
  random::set_seed(7);
  EXPECT_EQ(random::shuffle(x).to_vector<std::int32_t>(), v);
  expect_error<ShapeError>([] { random::shuffle(constant(1)); }, {"shuffle", "scalar"});
}

TEST_P(Random, GeneratorsAreIndependentAndReproducible) {
  random::Generator a(42), b(42), c(43);
  const auto first = a.uniform({50}).to_vector<float>();
  EXPECT_EQ(b.uniform({50}).to_vector<float>(), first);  // same seed, same first draw
  EXPECT_NE(a.uniform({50}).to_vector<float>(), first);  // the next draw differs
  EXPECT_NE(c.uniform({50}).to_vector<float>(), first);
  random::set_seed(42);
  EXPECT_NE(random::uniform({50}).to_vector<float>(), first);  // not the global stream
  const Moments m = moments(a.normal({100000}, _mean = 1, _stddev = 3));
  EXPECT_NEAR(m.mean, 1.0, 0.05);
  EXPECT_NEAR(m.stddev, 3.0, 0.05);
  EXPECT_LE(moments(a.truncated_normal({10000})).max, 2.0);
}

INSTANTIATE_TEST_SUITE_P(Devices, Random, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
