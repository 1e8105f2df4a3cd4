// Variable: construction, assign/assign_add/assign_sub, value semantics of reads, sliced
// assignment, cloning, errors — on every device.
#include <type_traits>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

class Variables : public testing::OnDevice {};

// `Variable v4(v1)` (Python's tf.Variable(v1), a new variable) does not compile, so it cannot
// quietly share v1; copy-initialization, lists and arguments by value name the same variable.
static_assert(!std::is_constructible_v<Variable, Variable&>);
static_assert(std::is_convertible_v<Variable&, Variable>);
static_assert(std::is_copy_constructible_v<Variable> && std::is_move_constructible_v<Variable>);
template <class T>
concept AddAssignable = requires(T& t) {
  t += 1;
};
static_assert(!AddAssignable<Variable>, "v += x is an error, as in TensorFlow: use assign_add");
static_assert(AddAssignable<Tensor>);

TEST_P(Variables, ConstructLikeTensorFlow) {
  Variable v1(-4);
  EXPECT_EQ(v1.dtype(), int32);
  EXPECT_EQ(v1.rank(), 0);
  Variable v2({1, 2, 3, 4}, _dtype = float32);
  EXPECT_EQ(v2.dtype(), float32);
  EXPECT_EQ(v2.shape(), Shape({4}));
  EXPECT_EQ(v2.device(), device());
  const Tensor a = constant(1, Shape{1, 1});
  Variable v3(a);
  EXPECT_EQ(v3.to_vector<std::int32_t>(), std::vector<std::int32_t>{1});
  Variable x({{2.0f}}, _name = "x");
  EXPECT_EQ(x.shape(), Shape({1, 1}));
  EXPECT_EQ(x.name(), "x");
  EXPECT_TRUE(x.trainable());
  EXPECT_FALSE(Variable(0, _trainable = false).trainable());
  EXPECT_EQ(Variable(-2.0).dtype(), float32);
  EXPECT_EQ(Variable(1.5, _dtype = float64).dtype(), float64);
}

TEST_P(Variables, AssignReplacesTheValue) {
  Variable v1(-4);
  v1.assign(5);
  EXPECT_EQ(v1.item<std::int32_t>(), 5);
  v1.assign_add(1);
  EXPECT_EQ(v1.item<std::int32_t>(), 6);
  v1.assign_sub(1);
  EXPECT_EQ(v1.item<std::int32_t>(), 5);
  Variable v2({1.f, 2.f, 3.f, 4.f});
  v2.assign({5, 6, 7, 8});
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{5, 6, 7, 8}));
  v2.assign_add(constant({1.f, 1.f, 1.f, 1.f}));
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{6, 7, 8, 9}));
  v2.assign_add(0.5f);  // a number broadcasts
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{6.5f, 7.5f, 8.5f, 9.5f}));
  v2.assign_sub({0.5, 0.5, 0.5, 0.5});
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{6, 7, 8, 9}));
  // Chaining returns the variable itself.
  EXPECT_EQ(v2.assign_add(1).assign_sub(1).to_vector<float>(), (std::vector<float>{6, 7, 8, 9}));
}

TEST_P(Variables, ReadsKeepTheirValueAfterAnAssign) {
  Variable v({1.f, 2.f});
  const Tensor before = v;
  v.assign({3.f, 4.f});
  EXPECT_EQ(before.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(v.to_vector<float>(), (std::vector<float>{3, 4}));
  const Tensor sum = v + 1;
  v.assign_add(10);
  EXPECT_EQ(sum.to_vector<float>(), (std::vector<float>{4, 5}));
}

TEST_P(Variables, ANewVariableFromAnotherIsAClone) {
  // Lesson 2: v4 = tf.Variable(v1); v4.assign(100) leaves v1 at 5.
  Variable v1(5.0);
  Variable v4 = v1.clone();
  v4.assign(100);
  EXPECT_EQ(v1.item<float>(), 5.f);
  EXPECT_EQ(v4.item<float>(), 100.f);
  std::vector<Variable> both = {v1, v4};  // a list names the variables themselves
  both[0].assign(6);
  EXPECT_EQ(v1.item<float>(), 6.f);
}

TEST_P(Variables, AreHandlesAndCloneMakesANewOne) {
  Variable v1({1.f, 2.f});
  Variable same = v1;          // like `same = v1` in Python: one variable
  Variable copy = v1.clone();  // like tf.Variable(v1): a new variable
  same.assign({7.f, 8.f});
  EXPECT_EQ(v1.to_vector<float>(), (std::vector<float>{7, 8}));
  EXPECT_EQ(copy.to_vector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ(same.id(), v1.id());
  EXPECT_NE(copy.id(), v1.id());
}

TEST_P(Variables, SlicedAssignmentWritesIntoTheVariable) {
  Variable v2({1.f, 2.f, 3.f, 4.f});
  EXPECT_EQ(static_cast<Tensor>(v2.slice(1, 3)).to_vector<float>(), (std::vector<float>{2, 3}));
  VariableSlice val0 = v2[0];
  val0.assign(10.f);
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{10, 2, 3, 4}));
  EXPECT_EQ(val0.value().item<float>(), 1.f);  // the slice read stays what it was (TensorFlow too)
  v2.slice(1, 3).assign({20.f, 30.f});
  EXPECT_EQ(v2.to_vector<float>(), (std::vector<float>{10, 20, 30, 4}));
  Variable m({{1, 2, 3}, {4, 5, 6}});
  m.index(all, 1).assign(0);  // a number broadcasts over the slice
  EXPECT_EQ(m.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 3, 4, 0, 6}));
  m.index(1, Slice{.step = -1}).assign({7, 8, 9});
  EXPECT_EQ(m.to_vector<std::int32_t>(), (std::vector<std::int32_t>{1, 0, 3, 9, 8, 7}));
  expect_error<ShapeError>([&] { m[0].assign({1, 2}); }, {"VariableSlice::assign", "(2,)", "(3,)"});
}

TEST_P(Variables, MismatchesAreErrors) {
  Variable v({1.f, 2.f, 3.f, 4.f}, _name = "v2");
  expect_error<ShapeError>([&] { v.assign({1.f, 2.f, 3.f}); }, {"assign", "(3,)", "v2", "(4,)"});
  expect_error<DTypeError>(
      [&] {
        v.assign(constant({1, 2, 3, 4}));
      },
      {"assign", "int32", "float32"});
  expect_error<ShapeError>([&] { v.assign_add(zeros({2, 4})); }, {"assign_add", "(4,)", "(2, 4)"});
  Variable i(3);
  expect_error<DTypeError>([&] { i.assign(2.5); }, {"assign", "2.5", "int32"});
  Variable undefined;
  expect_error<Error>([&] { undefined.assign(1); }, {"undefined"});
}

TEST_P(Variables, WorkWhereverTensorsDo) {
  Variable w({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ(matmul(w, w).to_vector<float>(), (std::vector<float>{7, 10, 15, 22}));
  EXPECT_EQ((w * 2).to_vector<float>(), (std::vector<float>{2, 4, 6, 8}));
  EXPECT_EQ(reduce_sum(w).item<float>(), 10.f);
  EXPECT_EQ(w.to_string(),
            "<ember.Variable 'Variable' shape=(2, 2) dtype=float32, numpy=[[1. 2.]\n [3. 4.]]>");
}

TEST_P(Variables, ChainedIndexingReadsLikeTensorFlow) {
  // Lesson 2: v2[(1, 2)], v2[1, 2] and v2[1][2] are the same element.
  Variable v2(constant({{1, 2, 3}, {4, 5, 6}}));
  EXPECT_EQ(v2[1][2].item<std::int32_t>(), 6);
  EXPECT_EQ(v2.index(1, 2).value().item<std::int32_t>(), 6);
  EXPECT_EQ(v2.index(all, 1).value().to_vector<std::int32_t>(), (std::vector<std::int32_t>{2, 5}));
}

INSTANTIATE_TEST_SUITE_P(Devices, Variables, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
