// Core types: DType, Shape, Device, constant(), reading values back, printing.
#include "kernels/allocator.h"
#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

TEST(DType, NamesAndSizesFollowTensorFlow) {
  EXPECT_STREQ(dtype_name(float32), "float32");
  EXPECT_STREQ(dtype_name(float64), "float64");
  EXPECT_STREQ(dtype_name(int32), "int32");
  EXPECT_STREQ(dtype_name(int64), "int64");
  EXPECT_STREQ(dtype_name(uint8), "uint8");
  EXPECT_STREQ(dtype_name(bool_), "bool");
  EXPECT_EQ(dtype_size(float64), 8u);
  EXPECT_EQ(dtype_size(bool_), 1u);
}

TEST(Shape, PrintsLikeAPythonTupleAndIndexesFromTheEnd) {
  EXPECT_EQ(Shape({2, 3}).to_string(), "(2, 3)");
  EXPECT_EQ(Shape({4}).to_string(), "(4,)");
  EXPECT_EQ(Shape().to_string(), "()");
  const Shape s{5, 6, 7};
  EXPECT_EQ(s[-1], 7);
  EXPECT_EQ(s[0], 5);
  EXPECT_EQ(s.num_elements(), 210);
  expect_error<IndexError>([&] { (void)s[3]; }, {"axis 3", "rank 3"});
  expect_error<IndexError>([&] { (void)s[-4]; }, {"axis -4"});
}

TEST(Device, ParsesTensorFlowSpellings) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("/CPU:0"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda:1"), Device::cuda(1));
  EXPECT_EQ(Device::parse("/GPU:0"), Device::cuda(0));
  EXPECT_EQ(Device::parse("gpu"), Device::cuda(0));
  EXPECT_EQ(Device::cuda(2).str(), "cuda:2");
  expect_error<DeviceError>([] { Device::parse("tpu"); }, {"tpu", "cpu, cuda or cuda:N"});
  expect_error<DeviceError>([] { Device::parse("cuda:x"); }, {"cuda:x"});
}

TEST(Device, AskingForAMissingGpuIsAClearError) {
  // With a GPU, ask for one past the last.
  if (cuda_available()) {
    expect_error<DeviceError>([] { DeviceScope scope(Device::cuda(64)); }, {"cuda:64"});
    return;
  }
  EXPECT_EQ(default_device(), Device::cpu());
  expect_error<DeviceError>([] { DeviceScope scope(Device::cuda(0)); }, {"cuda:0", "requested"});
  const Tensor t = constant({1.f, 2.f});
  expect_error<DeviceError>([&] { (void)t.to(Device::cuda(0)); }, {"cuda:0"});
}

TEST(Device, ScopesNestAndRestore) {
  const Device before = default_device();
  {
    DeviceScope outer(Device::cpu());
    EXPECT_EQ(default_device(), Device::cpu());
    EXPECT_EQ(zeros({2}).device(), Device::cpu());
    {
      DeviceScope inner(Device::cpu());
      EXPECT_EQ(default_device(), Device::cpu());
    }
    EXPECT_EQ(default_device(), Device::cpu());
  }
  EXPECT_EQ(default_device(), before);
}

class Constant : public testing::OnDevice {};

TEST_P(Constant, FromScalarsFollowsTensorFlowDtypes) {
  const Tensor a = constant(1, Shape{1, 1});
  EXPECT_EQ(a.shape(), Shape({1, 1}));
  EXPECT_EQ(a.dtype(), int32);
  EXPECT_EQ(a.device(), device());
  EXPECT_EQ(a.to_vector<std::int32_t>(), std::vector<std::int32_t>{1});
  EXPECT_EQ(constant(2.5).dtype(), float32);  // a C++ double is a Python float
  EXPECT_EQ(constant(2.5f).dtype(), float32);
  EXPECT_EQ(constant(2.5, float64).dtype(), float64);
  EXPECT_EQ(constant(std::int64_t{7}).dtype(), int64);
  EXPECT_EQ(constant(true).dtype(), bool_);
  EXPECT_EQ(constant(3).rank(), 0);
  EXPECT_EQ(constant(3).item<std::int32_t>(), 3);
  EXPECT_EQ(constant(7, Shape{2, 3}).to_vector<std::int32_t>(), std::vector<std::int32_t>(6, 7));
}

TEST_P(Constant, FromNestedListsAndVectors) {
  const Tensor b = constant({1, 2, 3, 4});
  EXPECT_EQ(b.shape(), Shape({4}));
  EXPECT_EQ(b.dtype(), int32);
  const Tensor m = constant({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}});
  EXPECT_EQ(m.shape(), Shape({2, 3}));
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  const Tensor cube = constant({{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
  EXPECT_EQ(cube.shape(), Shape({2, 2, 2}));
  EXPECT_EQ(cube.to_vector<std::int32_t>()[7], 8);
  const Tensor r = constant({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  EXPECT_EQ(r.shape(), Shape({2, 3}));
  const Tensor v = constant(std::vector<double>{0.5, 1.5}, Shape{2}, float64);
  EXPECT_EQ(v.dtype(), float64);
  EXPECT_EQ(v.to_vector<double>(), (std::vector<double>{0.5, 1.5}));
  const Tensor flags = constant(std::vector<bool>{true, false, true});
  EXPECT_EQ(flags.dtype(), bool_);
  EXPECT_EQ(flags.to_vector<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(constant({1.0, 2.0}, float64).dtype(), float64);
  EXPECT_EQ(constant({1, 2}, float32).to_vector<float>(), (std::vector<float>{1, 2}));
}

TEST_P(Constant, RejectsRaggedListsAndBadConversions) {
  expect_error<ShapeError>([] { constant({{1, 2}, {3, 4, 5}}); }, {"ragged", "row [1]", "3", "2"});
  expect_error<ShapeError>([] { constant({{{1}, {2}}, {{3}, {4, 5}}}); }, {"ragged", "row [1][1]"});
  expect_error<ShapeError>([] { constant({1, 2, 3}, Shape{2, 2}); }, {"3 values", "(2, 2)"});
  expect_error<DTypeError>([] { constant({1.5, 2.0}, int32); }, {"1.5", "int32"});
  expect_error<DTypeError>([] { constant({300}, uint8); }, {"300", "uint8"});
  expect_error<DTypeError>([] { constant(true, float32); }, {"bool"});
  expect_error<ShapeError>([] { constant(1, Shape{-1, 2}); }, {"negative"});
}

TEST_P(Constant, ReadsBackWithTheMatchingTypeOnly) {
  const Tensor t = constant({1.f, 2.f});
  expect_error<DTypeError>([&] { t.to_vector<double>(); }, {"float32", "float64", "cast"});
  expect_error<ShapeError>([&] { t.item<float>(); }, {"one element", "(2,)"});
  EXPECT_TRUE(static_cast<bool>(constant(2.0f)));
  EXPECT_FALSE(static_cast<bool>(constant(0)));
  expect_error<ShapeError>([&] { (void)static_cast<bool>(t); }, {"ambiguous", "(2,)"});
  expect_error<Error>(
      [] {
        Tensor undefined;
        (void)undefined.shape();
      },
      {"undefined"});
}

TEST_P(Constant, CastConvertsLikeTensorFlow) {
  const Tensor a = constant({-1.7f, 0.f, 2.9f, 300.f});
  EXPECT_EQ(cast(a, int32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{-1, 0, 2, 300}));
  EXPECT_EQ(cast(a, bool_).to_vector<bool>(), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(cast(constant({true, false}), float32).to_vector<float>(), (std::vector<float>{1, 0}));
  EXPECT_EQ(cast(constant({1, 2}), float64).to_vector<double>(), (std::vector<double>{1, 2}));
  // Saturating conversion of reals: NaN becomes 0, out-of-range values clamp (as on GPUs).
  const Tensor odd = constant({NAN, 1e10f, -1e10f});
  EXPECT_EQ(cast(odd, int32).to_vector<std::int32_t>(),
            (std::vector<std::int32_t>{0, 2147483647, -2147483647 - 1}));
  EXPECT_EQ(cast(constant({-5.f, 300.f}), uint8).to_vector<std::uint8_t>(),
            (std::vector<std::uint8_t>{0, 255}));
}

TEST_P(Constant, MovesBetweenDevices) {
  const Tensor t = constant({{1.f, 2.f}, {3.f, 4.f}});
  const Tensor on_cpu = t.to(Device::cpu());
  EXPECT_EQ(on_cpu.device(), Device::cpu());
  EXPECT_EQ(on_cpu.to_vector<float>(), t.to_vector<float>());
  EXPECT_EQ(on_cpu.to(device()).to_vector<float>(), (std::vector<float>{1, 2, 3, 4}));
}

TEST_P(Constant, FromATensorWithAShape) {
  // Lesson 6: y = tf.constant(y, shape=(1, 1)).
  const Tensor y = constant({5.0f});
  EXPECT_EQ(constant(y, Shape{1, 1}).shape(), Shape({1, 1}));
  EXPECT_EQ(constant(y, Shape{2, 2}).to_vector<float>(), (std::vector<float>{5, 5, 5, 5}));
  EXPECT_EQ(constant(reshape(range(6), {2, 3}), Shape{3, 2}, float64).to_vector<double>(),
            (std::vector<double>{0, 1, 2, 3, 4, 5}));
  expect_error<ShapeError>([] { (void)constant(range(6), Shape{4}); },
                           {"constant", "(6,)", "(4,)"});
}

TEST_P(Constant, FromATensorOrAVariable) {
  // tf.constant(t) and tf.constant(v, dtype=...): the values, cut off from gradients.
  const Tensor t = constant({1.5f, -2.f});
  EXPECT_EQ(constant(t).to_vector<float>(), (std::vector<float>{1.5f, -2.f}));
  EXPECT_EQ(constant(t, int32).to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, -2}));
  Variable v({3.0, 4.0});
  const Tensor c = constant(v, float64);
  v.assign({0.f, 0.f});
  EXPECT_EQ(c.to_vector<double>(), (std::vector<double>{3, 4}));
  GradientTape tape;
  const Tensor y = reduce_sum(constant(v) * 2.f);
  EXPECT_FALSE(tape.gradient(y, v).has_value());
}

INSTANTIATE_TEST_SUITE_P(Devices, Constant, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// The expected strings are TensorFlow 2.21's print() output (tests/golden/print_cases.py).
// The host allocator keeps freed large blocks for reuse, up to its limit, giving up the least
// recently freed first: a new working set (evaluation at another batch size) gets cached too.
// (The blocks are never touched, so no memory is committed.)
TEST(HostAllocator, KeepsTheMostRecentlyFreedBlocks) {
  cpu::HostAllocator allocator;
  const std::size_t limit = cpu::HostAllocator::cache_limit();
  const std::size_t old_size = limit / 2 + (std::size_t{1} << 20), new_size = limit * 5 / 8;
  void* old_block = allocator.allocate(old_size);
  allocator.deallocate(old_block, old_size);
  EXPECT_GE(allocator.cached_bytes(), old_size);
  void* new_block = allocator.allocate(new_size);  // another size: a fresh block
  allocator.deallocate(new_block, new_size);       // both do not fit: the older one goes
  EXPECT_GE(allocator.cached_bytes(), new_size);
  EXPECT_LT(allocator.cached_bytes(), old_size + new_size);
  void* again = allocator.allocate(new_size);
  EXPECT_EQ(again, new_block);
  EXPECT_EQ(allocator.cached_bytes(), 0u);
  allocator.deallocate(again, new_size);
  EXPECT_EQ(allocator.live_bytes(), 0);
  void* small = allocator.allocate(100);  // small blocks are the C library's
  allocator.deallocate(small, 100);
  EXPECT_GE(allocator.cached_bytes(), new_size);
  allocator.release_cache();
  EXPECT_EQ(allocator.cached_bytes(), 0u);
}

TEST(Printing, MatchesTensorFlow) {
  DeviceScope cpu(Device::cpu());
  EXPECT_EQ(constant({1, 2, 3}).to_string(), "ember.Tensor([1 2 3], shape=(3,), dtype=int32)");
  EXPECT_EQ(constant({{1.f, 2.f}, {3.f, 4.f}}).to_string(),
            "ember.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)");
  EXPECT_EQ(constant({{1.f, 2.5f}, {3.f, 4.f}}).to_string(),
            "ember.Tensor(\n[[1.  2.5]\n [3.  4. ]], shape=(2, 2), dtype=float32)");
  EXPECT_EQ(constant(-4.0).to_string(), "ember.Tensor(-4.0, shape=(), dtype=float32)");
  EXPECT_EQ(constant(5).to_string(), "ember.Tensor(5, shape=(), dtype=int32)");
  EXPECT_EQ(constant(1e-5).to_string(), "ember.Tensor(1e-05, shape=(), dtype=float32)");
  EXPECT_EQ(constant({true, false, true}).to_string(),
            "ember.Tensor([ True False  True], shape=(3,), dtype=bool)");
  EXPECT_EQ(constant({0.1, 0.25, -3.0}).to_string(),
            "ember.Tensor([ 0.1   0.25 -3.  ], shape=(3,), dtype=float32)");
  EXPECT_EQ(constant({1e-5, 1.0, 1e10}).to_string(),
            "ember.Tensor([1.e-05 1.e+00 1.e+10], shape=(3,), dtype=float32)");
  EXPECT_EQ(constant({NAN, INFINITY, -1.5f}).to_string(),
            "ember.Tensor([ nan  inf -1.5], shape=(3,), dtype=float32)");
  EXPECT_EQ(reshape(range(12), {2, 2, 3}).to_string(),
            "ember.Tensor(\n[[[ 0  1  2]\n  [ 3  4  5]]\n\n [[ 6  7  8]\n  [ 9 10 11]]], "
            "shape=(2, 2, 3), dtype=int32)");
  EXPECT_EQ(zeros({0, 3}).to_string(), "ember.Tensor([], shape=(0, 3), dtype=float32)");
  EXPECT_EQ(range(2000).to_string(),
            "ember.Tensor([   0    1    2 ... 1997 1998 1999], shape=(2000,), dtype=int32)");
  EXPECT_EQ(reshape(range(2000), {40, 50}).to_string(),
            "ember.Tensor(\n"
            "[[   0    1    2 ...   47   48   49]\n"
            " [  50   51   52 ...   97   98   99]\n"
            " [ 100  101  102 ...  147  148  149]\n"
            " ...\n"
            " [1850 1851 1852 ... 1897 1898 1899]\n"
            " [1900 1901 1902 ... 1947 1948 1949]\n"
            " [1950 1951 1952 ... 1997 1998 1999]], shape=(40, 50), dtype=int32)");
  EXPECT_EQ((cast(range(30), float32) / 7.0f).to_string(),
            "ember.Tensor(\n"
            "[0.         0.14285715 0.2857143  0.42857143 0.5714286  0.71428573\n"
            " 0.85714287 1.         1.1428572  1.2857143  1.4285715  1.5714285\n"
            " 1.7142857  1.8571428  2.         2.142857   2.2857144  2.4285715\n"
            " 2.5714285  2.7142856  2.857143   3.         3.142857   3.2857144\n"
            " 3.4285715  3.5714285  3.7142856  3.857143   4.         4.142857  ], "
            "shape=(30,), dtype=float32)");
  EXPECT_EQ(constant({1.0 / 3.0}, float64).to_string(),
            "ember.Tensor([0.33333333], shape=(1,), dtype=float64)");
  EXPECT_EQ(constant({1.0 / 3.0}).to_string(),
            "ember.Tensor([0.33333334], shape=(1,), dtype=float32)");
  EXPECT_EQ(constant({{-1, 20}, {300, -4000}}).to_string(),
            "ember.Tensor(\n[[   -1    20]\n [  300 -4000]], shape=(2, 2), dtype=int32)");
  std::ostringstream out;
  out << constant({1, 2});
  EXPECT_EQ(out.str(), "ember.Tensor([1 2], shape=(2,), dtype=int32)");
  // print(tf.int32) and a list of variables and of gradients (tests/golden/lesson_semantics.py).
  std::ostringstream dtype, variables, gradients;
  dtype << int32 << " " << constant(1.f).dtype();
  EXPECT_EQ(dtype.str(), "<dtype: 'int32'> <dtype: 'float32'>");
  variables << std::vector<Variable>{Variable(1.0f, _name = "v"), Variable({1, 2}, _name = "w")};
  EXPECT_EQ(variables.str(),
            "[<ember.Variable 'v' shape=() dtype=float32, numpy=1.0>, "
            "<ember.Variable 'w' shape=(2,) dtype=int32, numpy=[1 2]>]");
  gradients << std::vector<std::optional<Tensor>>{constant(2.f), std::nullopt};
  EXPECT_EQ(gradients.str(), "[ember.Tensor(2.0, shape=(), dtype=float32), None]");
}

}  // namespace
}  // namespace ember
