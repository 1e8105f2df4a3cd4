// GradientTape semantics: every behaviour lesson 4 shows (including its pitfalls), options,
// nesting, tie rules, memory, and second derivatives through the ops' backward passes. (First
// derivatives of each op: the op family's own test, tests/core/ops/test_<family>.cpp.) Expected
// values are closed forms or TensorFlow 2.21's output for the same program.
#include "tests/gradient_check.h"

namespace ember {
namespace {

using testing::check_second_gradient;
using testing::expect_close;
using testing::expect_error;
using testing::random_tensor;
using testing::values_of;

class Tape : public testing::OnDevice {};

TEST_P(Tape, SquareAtMinusTwo) {
  Variable x(-2.0);
  GradientTape tape;
  const Tensor y = pow(x, 2);
  const auto df = tape.gradient(y, x);
  ASSERT_TRUE(df);
  EXPECT_EQ(df->item<float>(), -4.f);
}

TEST_P(Tape, LessonOneGraph) {
  Variable x({{2.0f}}), y({{-4.0f}});
  GradientTape tape;
  const Tensor f = pow(x + y, 2.0f) + 2.0f * x * y;
  const auto df = tape.gradient(f, {x, y});
  EXPECT_EQ(df[0]->to_vector<float>(), std::vector<float>{-12});
  EXPECT_EQ(df[1]->to_vector<float>(), std::vector<float>{0});
  EXPECT_EQ(df[0]->shape(), Shape({1, 1}));
}

TEST_P(Tape, LinearLayerGradientsMatchLoops) {
  random::set_seed(1);
  Variable w(random::normal({3, 2}));
  Variable b(zeros({2}));
  Variable x({-2.0f, 1.0f, 3.0f});
  GradientTape tape;
  const Tensor y = matmul(x, w) + b;
  const Tensor loss = reduce_mean(square(y));
  const auto [dw_tape, db_tape] = tape.gradient(loss, {w, b});  // Python: dw, db = ...
  ASSERT_EQ(dw_tape->shape(), Shape({3, 2}));
  ASSERT_EQ(db_tape->shape(), Shape({2}));
  // loss = mean_j (sum_i x_i w_ij + b_j)^2: d/dw_ij = x_i y_j, d/db_j = y_j.
  const auto wv = values_of(w.value()), xv = values_of(x.value());
  std::vector<double> yv(2, 0.0), dw, db;
  for (int j = 0; j < 2; ++j)
    for (int i = 0; i < 3; ++i) yv[j] += xv[i] * wv[i * 2 + j];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j) dw.push_back(xv[i] * yv[j]);
  for (int j = 0; j < 2; ++j) db.push_back(yv[j]);
  expect_close(values_of(*dw_tape), dw, 1e-5, "dw");
  expect_close(values_of(*db_tape), db, 1e-5, "db");
}

TEST_P(Tape, ReadyCallbacksComeAsEachGradientIsFinalInBackwardOrder) {
  // y = w2 · relu(w1 · x + b1): backward finishes w2 first, then b1 and w1 (b1 is used after
  // w1's product, so its gradient is final first); u is never used and gets none.
  Variable w1(constant({{0.5f, -1.0f}, {2.0f, 0.25f}})), b1(constant({0.1f, 0.2f}));
  Variable w2(constant({{1.5f}, {-0.5f}})), u(constant({3.0f}));
  const Tensor x = constant({{1.0f, 2.0f}});
  GradientTape tape;
  const Tensor y = reduce_sum(matmul(relu(matmul(x, w1) + b1), w2));
  std::vector<std::size_t> order;
  std::vector<Tensor> reported(4);
  const std::vector<std::optional<Tensor>> grads =
      tape.gradient(y, std::vector<Variable>{w1, b1, w2, u}, [&](std::size_t i, const Tensor& g) {
        order.push_back(i);
        reported[i] = g;
      });
  EXPECT_EQ(order, (std::vector<std::size_t>{2, 1, 0}));
  ASSERT_TRUE(grads[0] && grads[1] && grads[2]);
  EXPECT_FALSE(grads[3]);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(values_of(reported[i]), values_of(*grads[i])) << i;
  }
  // h = relu(x·w1 + b1) = relu([4.6, -0.3]) = [4.6, 0]: dy/dw2 = h, dy/db1 = w2 where h > 0.
  expect_close(values_of(*grads[2]), {4.6, 0.0}, 1e-6, "dw2");
  expect_close(values_of(*grads[1]), {1.5, 0.0}, 1e-6, "db1");
  expect_close(values_of(*grads[0]), {1.5, 0.0, 3.0, 0.0}, 1e-6, "dw1");
}

TEST_P(Tape, ABracedListOfSourcesUnpacksOrStaysAList) {
  Variable x(3.0), y(2.0), unused(1.0);
  GradientTape tape(_persistent = true);
  const Tensor z = x * x * y;  // dz/dx = 2xy = 12, dz/dy = x² = 9
  auto [dx, dy, none] = tape.gradient(z, {x, y, unused});
  EXPECT_EQ(dx->item<float>(), 12.f);
  EXPECT_EQ(dy->item<float>(), 9.f);
  EXPECT_FALSE(none.has_value());
  const std::vector<std::optional<Tensor>> as_list = tape.gradient(z, {x, y});
  ASSERT_EQ(as_list.size(), 2u);
  EXPECT_EQ(as_list[1]->item<float>(), 9.f);
  EXPECT_EQ(tape.gradient(z, {y})[0]->item<float>(), 9.f);
  EXPECT_EQ(tape.gradient(z, std::vector<Variable>{x, y}).size(), 2u);
  EXPECT_EQ(tape.gradient(z, x)->item<float>(), 12.f);
}

TEST_P(Tape, ConstantsGetNone) {
  Variable x(0.0);
  const Tensor b = constant(1.5);
  GradientTape tape;
  const Tensor f = pow(x + b, 2) + 2 * b;
  const auto df = tape.gradient(f, {x, b});
  EXPECT_EQ(df[0]->item<float>(), 3.f);
  EXPECT_FALSE(df[1].has_value());
  std::ostringstream out;
  out << df[1];
  EXPECT_EQ(out.str(), "None");
}

TEST_P(Tape, UntrainableAndIntegerVariablesGetNone) {
  Variable frozen(2.0, _trainable = false);
  Variable counter(3);
  GradientTape tape(_persistent = true);
  const Tensor y = frozen * 3;
  const Tensor z = counter * 2;
  EXPECT_FALSE(tape.gradient(y, frozen).has_value());
  ::testing::internal::CaptureStderr();
  EXPECT_FALSE(tape.gradient(z, counter).has_value());
  const std::string warning = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(warning.find("WARNING"), std::string::npos);
  EXPECT_NE(warning.find("int32"), std::string::npos);
  EXPECT_NE(warning.find("Variable"), std::string::npos);
  // tf.Variable(1) + 5 is a constant tensor: no gradient either.
  const Tensor c = Variable(1) + 5;
  EXPECT_EQ(c.item<std::int32_t>(), 6);
}

TEST_P(Tape, WatchOnlyWhatIsAskedFor) {
  Variable x(0.0), b(1.5);
  GradientTape tape(_watch_accessed_variables = false);
  tape.watch(x);
  const Tensor f = pow(x + b, 2);
  const auto df = tape.gradient(f, {x, b});
  EXPECT_EQ(df[0]->item<float>(), 3.f);
  EXPECT_FALSE(df[1].has_value());
  EXPECT_EQ(tape.watched_variables().size(), 0u);  // the tape was consumed
}

TEST_P(Tape, GradientsOfIntermediateTensors) {
  Variable x(1.0);
  GradientTape tape(_watch_accessed_variables = false);
  tape.watch(x);
  const Tensor y = 2 * x;
  const Tensor f = y * y;
  const auto df = tape.gradient(f, {x, y});
  EXPECT_EQ(df[0]->item<float>(), 8.f);  // d(4x^2)/dx at 1
  EXPECT_EQ(df[1]->item<float>(), 4.f);  // d(y^2)/dy at 2
}

TEST_P(Tape, NonPersistentTapesComputeOnce) {
  Variable x(1.0);
  GradientTape tape;
  const Tensor y = 2 * x;
  const Tensor f = y * y;
  EXPECT_TRUE(tape.gradient(f, x).has_value());
  expect_error<Error>([&] { tape.gradient(f, y); }, {"already computed", "persistent"});
}

TEST_P(Tape, PersistentTapesComputeAgain) {
  Variable a(3.0);
  GradientTape tape(_persistent = true);
  const Tensor y = 2 * a;
  const Tensor f = y * y;
  EXPECT_EQ(tape.gradient(f, a)->item<float>(), 24.f);
  EXPECT_EQ(tape.gradient(f, y)->item<float>(), 12.f);
  EXPECT_EQ(tape.gradient(y, a)->item<float>(), 2.f);
}

TEST_P(Tape, NonScalarTargetsAreSummed) {
  Variable x(1.0);
  GradientTape tape;
  const Tensor y = constant({2.0f, 3.0f}) * pow(x, 2);
  EXPECT_EQ(tape.gradient(y, x)->item<float>(), 10.f);
  Variable v({1.0f, 2.0f});
  GradientTape tape2;
  const Tensor s = reduce_sum(constant({2.0f, 3.0f}) * pow(v, 2));
  EXPECT_EQ(tape2.gradient(s, v)->to_vector<float>(), (std::vector<float>{4, 12}));
}

TEST_P(Tape, BranchesFollowTheValues) {
  Variable x(1.0);
  GradientTape tape;
  Tensor y;
  if (x < 2.0f) {
    y = reduce_sum(constant({2.0f, 3.0f}) * pow(x, 2));
  } else {
    y = pow(x, 2);
  }
  EXPECT_EQ(tape.gradient(y, x)->item<float>(), 10.f);
}

TEST_P(Tape, ValuesComputedBeforeTheTapeAreCutOff) {
  Variable x(1.0);
  const Tensor y = 2 * x;
  GradientTape tape;
  const Tensor z = pow(y, 2);
  EXPECT_FALSE(tape.gradient(z, x).has_value());
  GradientTape inside;
  const Tensor y2 = 2 * x;
  const Tensor z2 = pow(y2, 2);
  EXPECT_EQ(inside.gradient(z2, x)->item<float>(), 8.f);
}

TEST_P(Tape, AssignAddKeepsTheVariableConnected) {
  // The lesson's loop: `x = x + 1` turns x into a constant (None afterwards); assign_add keeps x a
  // variable, and each tape sees its reads.
  Variable x(1.0);
  for (int i = 0; i < 3; ++i) {
    GradientTape tape;
    const Tensor y = 2 * x;
    EXPECT_EQ(tape.gradient(y, x)->item<float>(), 2.f);
    x.assign_add(1.0f);
  }
  EXPECT_EQ(x.item<float>(), 4.f);
  Tensor rebound = x + 1;  // the pitfall: a tensor, not the variable
  GradientTape tape;
  const Tensor y = 2 * rebound;
  EXPECT_FALSE(tape.gradient(y, rebound).has_value());
  // TensorFlow 2.21: reads before and after an assign inside the tape both count (6.0), and
  // the result of assign_add is the variable itself (gradient 1.0).
  Variable v(1.0);
  GradientTape t1;
  const Tensor a = 2 * v;
  v.assign_add(1.0f);
  const Tensor b = a * v;
  EXPECT_EQ(t1.gradient(b, v)->item<float>(), 6.f);
  Variable u(1.0);
  GradientTape t2;
  const Tensor r = u.assign_add(1.0f);
  EXPECT_EQ(t2.gradient(r, u)->item<float>(), 1.f);
}

TEST_P(Tape, WorkOutsideEmberGetsNone) {
  Variable x(1.0);
  GradientTape tape;
  const float host = x.item<float>();
  const Tensor y = 2 * x + constant(host * host);  // the square was taken on the host
  EXPECT_EQ(tape.gradient(y, x)->item<float>(), 2.f);
  GradientTape tape2;
  const Tensor only_host = constant(x.item<float>() * 3);
  EXPECT_FALSE(tape2.gradient(only_host, x).has_value());
}

TEST_P(Tape, StopRecordingAndStopGradient) {
  Variable x(3.0);
  GradientTape tape(_persistent = true);
  Tensor paused;
  {
    auto pause = tape.stop_recording();
    paused = x * x;
  }
  const Tensor recorded = x * x;
  EXPECT_FALSE(tape.gradient(paused, x).has_value());
  EXPECT_EQ(tape.gradient(recorded, x)->item<float>(), 6.f);
  const Tensor cut = stop_gradient(x * x) + x;
  EXPECT_EQ(tape.gradient(cut, x)->item<float>(), 1.f);
}

TEST_P(Tape, ResetForgetsWhatWasRecorded) {
  Variable x(2.0);
  GradientTape tape;
  const Tensor y = pow(x, 2);
  tape.reset();
  const Tensor z = pow(x, 3);
  EXPECT_FALSE(GradientTape().gradient(y, x).has_value());
  EXPECT_EQ(tape.gradient(z, x)->item<float>(), 12.f);
}

TEST_P(Tape, NestedTapesGiveSecondDerivatives) {
  for (float value : {-1.5f, 0.5f, 2.0f}) {
    Variable x(value);
    GradientTape outer;
    std::optional<Tensor> first;
    {
      GradientTape inner;
      const Tensor y = pow(x, 3);
      first = inner.gradient(y, x);
    }
    const auto second = outer.gradient(*first, x);
    EXPECT_FLOAT_EQ(first->item<float>(), 3 * value * value);
    EXPECT_FLOAT_EQ(second->item<float>(), 6 * value);  // d²(x³)/dx² = 6x
  }
}

TEST_P(Tape, TieRulesMatchTensorFlow) {
  Variable a({1.0f, 2.0f}), b({1.0f, 3.0f});
  GradientTape tape(_persistent = true);
  const Tensor m = maximum(a, b), n = minimum(a, b);
  const auto gm = tape.gradient(m, {a, b});
  const auto gn = tape.gradient(n, {a, b});
  EXPECT_EQ(gm[0]->to_vector<float>(), (std::vector<float>{1, 0}));  // ties go to the first
  EXPECT_EQ(gm[1]->to_vector<float>(), (std::vector<float>{0, 1}));
  EXPECT_EQ(gn[0]->to_vector<float>(), (std::vector<float>{1, 1}));
  EXPECT_EQ(gn[1]->to_vector<float>(), (std::vector<float>{0, 0}));
  Variable c({3.0f, 1.0f, 3.0f});
  GradientTape t2;
  EXPECT_EQ(t2.gradient(reduce_max(c), c)->to_vector<float>(), (std::vector<float>{0.5f, 0, 0.5f}));
  Variable d({0.0f, -1.0f, 2.0f});
  GradientTape t3(_persistent = true);
  const Tensor r = relu(d), s = abs(d);
  EXPECT_EQ(t3.gradient(r, d)->to_vector<float>(), (std::vector<float>{0, 0, 1}));
  EXPECT_EQ(t3.gradient(s, d)->to_vector<float>(), (std::vector<float>{0, -1, 1}));
  Variable v({1.0f, 2.0f, 3.0f});
  GradientTape t4;
  EXPECT_EQ(t4.gradient(clip_by_value(v, 1.0f, 2.0f), v)->to_vector<float>(),
            (std::vector<float>{1, 1, 0}));
  Variable f({2.0f, 0.0f, 3.0f});
  GradientTape t5(_persistent = true);
  EXPECT_EQ(t5.gradient(reduce_prod(f), f)->to_vector<float>(), (std::vector<float>{0, 6, 0}));
  EXPECT_FALSE(t5.gradient(floordiv(f, 2.0f), f).has_value());
  EXPECT_EQ(t5.gradient(floormod(f, 2.0f), f)->to_vector<float>(), (std::vector<float>{1, 1, 1}));
  Variable e({0.0f, 2.0f}), p({2.0f, 3.0f});
  GradientTape t6;
  const auto gp = t6.gradient(pow(e, p), {e, p});
  EXPECT_EQ(gp[0]->to_vector<float>(), (std::vector<float>{0, 12}));
  expect_close(values_of(*gp[1]), {0, 8 * std::log(2.0)}, 1e-6, "d pow / d exponent");
}

TEST_P(Tape, ComparisonsAndArgmaxCarryNoGradient) {
  Variable x({1.0f, 5.0f, 2.0f});
  GradientTape tape(_persistent = true);
  EXPECT_FALSE(tape.gradient(cast(x > 2.0f, float32), x).has_value());
  EXPECT_FALSE(tape.gradient(cast(argmax(x), float32), x).has_value());
  EXPECT_FALSE(tape.gradient(cast(cast(x, int32), float32), x).has_value());
}

// A training loop must not grow: tapes free what they saved.
TEST_P(Tape, NoMemoryGrowthOverManySteps) {
  Variable w(zeros({16}));
  const Tensor x = random::uniform({16}, _minval = 0.5, _maxval = 1.5);
  const Tensor target = random::uniform({16});
  const std::int64_t steps = device().is_cpu() ? 100000 : 20000;
  std::int64_t after_warmup = 0, at_end = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    GradientTape tape;
    const Tensor loss = reduce_sum(square(w * x - target));
    const auto g = tape.gradient(loss, w);
    w.assign_sub(*g * 0.3f);
    if (step == 100) after_warmup = allocated_bytes(device());
    if (step == steps - 1) at_end = allocated_bytes(device());
  }
  EXPECT_EQ(at_end, after_warmup);
  expect_close(values_of(w * x), values_of(target), 1e-5, "converged");
}

TEST_P(Tape, GradientsOfSeveralVariableListsComeBackNested) {
  // Lesson 7: tape.gradient(loss, [layer_1.trainable_variables, layer_2.trainable_variables]).
  Variable a(constant({1.0, 2.0}, float64)), b(constant({3.0}, float64)),
      c(constant({-1.0}, float64));
  GradientTape tape;
  const Tensor loss = reduce_sum(a * a) * b + c * 5.0;  // d/da = 2a·b, d/db = Σa², d/dc = 5
  const auto grads = tape.gradient(loss, std::vector<std::vector<Variable>>{{a, b}, {c}});
  ASSERT_EQ(grads.size(), 2u);
  ASSERT_EQ(grads[0].size(), 2u);
  ASSERT_EQ(grads[1].size(), 1u);
  expect_close(testing::values_of(*grads[0][0]), {6.0, 12.0}, 0);
  expect_close(testing::values_of(*grads[0][1]), {5.0}, 0);
  expect_close(testing::values_of(*grads[1][0]), {5.0}, 0);
}

INSTANTIATE_TEST_SUITE_P(Devices, Tape, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

// --- second derivatives against central differences of the tape's first (CPU) --------------------

class SecondDerivatives : public ::testing::Test {
  DeviceScope cpu_{Device::cpu()};
};

TEST_F(SecondDerivatives, OfElementwiseMatmulAndIndexing) {
  const Tensor x = random_tensor({2, 3}, 0.5, 1.5, 22);
  check_second_gradient("cube", [](auto& v) { return v[0] * v[0] * v[0]; }, {x});
  check_second_gradient("tanh", [](auto& v) { return tanh(v[0]); }, {x});
  check_second_gradient("sigmoid", [](auto& v) { return sigmoid(v[0]); }, {x});
  check_second_gradient("softmax", [](auto& v) { return softmax(v[0]) * v[0]; }, {x});
  check_second_gradient("exp log", [](auto& v) { return exp(v[0]) * log(v[0]); }, {x});
  check_second_gradient("matmul",
                        [](auto& v) { return matmul(v[0], transpose(v[0]) * v[0][0][0]); }, {x});
  check_second_gradient("gather", [](auto& v) { return square(gather(v[0], {1, 1, 0}, 1)); }, {x});
  check_second_gradient("slice", [](auto& v) { return square(v[0].index(all, Slice{0, 2})); }, {x});
}

}  // namespace
}  // namespace ember
