// LossScaleOptimizer: Keras 3's dynamic loss scaling, checked against its rules worked by hand
// (an overflowing step is skipped and halves the scale, growth after dynamic_growth_steps finite
// steps, gradients unscaled before the inner update), its config as Keras 3.15 serializes it
// (printed by keras.saving.serialize_keras_object), its state, compile's automatic wrapping under
// mixed_float16, and a traced training step that replays the scale of each step.
#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_error;

// loss = sum(w * x): its gradient with respect to w is x.
std::vector<std::optional<Tensor>> gradients(optim::LossScaleOptimizer& opt, const Variable& w,
                                             const Tensor& x) {
  GradientTape tape;
  const Tensor loss = reduce_sum(w * x);
  return tape.gradient(opt.scale_loss(loss), {w});
}

TEST(LossScaleOptimizer, UnscalesBeforeTheInnerUpdate) {
  Variable w(constant({1.0f, -2.0f}));
  optim::LossScaleOptimizer opt(optim::SGD(_learning_rate = 0.5));
  EXPECT_EQ(opt.dynamic_scale(), 32768.0);
  EXPECT_EQ(opt.class_name(), "LossScaleOptimizer");
  const auto g = gradients(opt, w, constant({0.25f, 4.0f}));
  EXPECT_EQ(g[0]->to_vector<float>(), (std::vector<float>{0.25f * 32768, 4.0f * 32768}));
  opt.apply_gradients(g, {w});
  // Plain SGD on the unscaled gradient: w - 0.5 * x.
  EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{0.875f, -4.0f}));
  EXPECT_EQ(opt.iterations(), 1);
  EXPECT_EQ(opt.inner_optimizer().iterations(), 1);
  EXPECT_EQ(opt.step_counter(), 1);
  EXPECT_EQ(opt.dynamic_scale(), 32768.0);
}

TEST(LossScaleOptimizer, AnOverflowingStepIsSkippedAndHalvesTheScale) {
  Variable w(constant({1.0f, 2.0f}));
  optim::LossScaleOptimizer opt(optim::Adam(_learning_rate = 0.1));
  // 1e35 · 32768 overflows float32: the scaled gradient is infinite.
  const auto g = gradients(opt, w, constant({1e35f, 1.0f}));
  EXPECT_TRUE(std::isinf(g[0]->to_vector<float>()[0]));
  opt.apply_gradients(g, {w});
  EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
  EXPECT_EQ(opt.iterations(), 0);  // the inner optimizer did not step
  EXPECT_EQ(opt.dynamic_scale(), 16384.0);
  EXPECT_EQ(opt.step_counter(), 0);
  // A NaN gradient too.
  opt.apply_gradients({constant({NAN, 0.0f})}, {w});
  EXPECT_EQ(opt.dynamic_scale(), 8192.0);
  EXPECT_EQ(w.value().to_vector<float>(), (std::vector<float>{1.0f, 2.0f}));
}

TEST(LossScaleOptimizer, TheScaleGrowsAfterDynamicGrowthStepsFiniteSteps) {
  Variable w(constant({1.0f}));
  optim::LossScaleOptimizer opt(optim::SGD(_learning_rate = 0.0),
                                {.initial_scale = 4.0, .dynamic_growth_steps = 3});
  const auto step = [&] { opt.apply_gradients(gradients(opt, w, constant({1.0f})), {w}); };
  step();
  step();
  EXPECT_EQ(opt.dynamic_scale(), 4.0);
  EXPECT_EQ(opt.step_counter(), 2);
  step();  // the third finite step in a row
  EXPECT_EQ(opt.dynamic_scale(), 8.0);
  EXPECT_EQ(opt.step_counter(), 0);
  // An overflow resets the count: three more finite steps are needed.
  opt.apply_gradients({constant({INFINITY})}, {w});
  EXPECT_EQ(opt.dynamic_scale(), 4.0);
  step();
  step();
  EXPECT_EQ(opt.dynamic_scale(), 4.0);
  step();
  EXPECT_EQ(opt.dynamic_scale(), 8.0);
}

TEST(LossScaleOptimizer, ConfigAsKerasWritesIt) {
  optim::LossScaleOptimizer opt(optim::SGD(_learning_rate = 0.1));
  // The shape keras.saving.serialize_keras_object(LossScaleOptimizer(SGD(0.1))) has in Keras
  // 3.15.
  const nlohmann::json config = optim::serialize(opt);
  EXPECT_EQ(config["class_name"], "LossScaleOptimizer");
  EXPECT_EQ(config["module"], "keras.optimizers");
  EXPECT_EQ(config["config"]["name"], "loss_scale_optimizer");
  EXPECT_EQ(config["config"]["initial_scale"], 32768.0);
  EXPECT_EQ(config["config"]["dynamic_growth_steps"], 2000);
  EXPECT_EQ(config["config"]["inner_optimizer"]["class_name"], "SGD");
  const auto again = optim::from_config(config);
  const auto* lso = dynamic_cast<const optim::LossScaleOptimizer*>(again.get());
  ASSERT_NE(lso, nullptr);
  EXPECT_EQ(lso->inner_optimizer().class_name(), "SGD");
  EXPECT_NEAR(lso->inner_optimizer().learning_rate(), 0.1, 1e-7);
  expect_error<Error>(
      [] {
        optim::from_config({{"class_name", "LossScaleOptimizer"}, {"config", {{"name", "x"}}}});
      },
      {"inner_optimizer"});
  expect_error<Error>(
      [] { optim::LossScaleOptimizer(optim::SGD(_learning_rate = 0.1), {.initial_scale = 0}); },
      {"initial_scale", "0"});
  expect_error<Error>(
      [] {
        optim::LossScaleOptimizer(optim::SGD(_learning_rate = 0.1), {.dynamic_growth_steps = 0});
      },
      {"dynamic_growth_steps"});
}

TEST(LossScaleOptimizer, StateCarriesTheScaleAndTheCounter) {
  Variable w(constant({1.0f}));
  optim::LossScaleOptimizer opt(optim::SGD(_learning_rate = 0.1));
  opt.apply_gradients({constant({INFINITY})}, {w});
  opt.apply_gradients(gradients(opt, w, constant({1.0f})), {w});
  const optim::OptimizerState state = opt.get_state();
  ASSERT_TRUE(state.contains("dynamic_scale"));
  EXPECT_EQ(state.at("dynamic_scale").item<float>(), 16384.0f);
  EXPECT_EQ(state.at("step_counter").item<std::int64_t>(), 1);
  optim::LossScaleOptimizer fresh(optim::SGD(_learning_rate = 0.1));
  fresh.set_state(state);
  EXPECT_EQ(fresh.dynamic_scale(), 16384.0);
  EXPECT_EQ(fresh.step_counter(), 1);
  optim::OptimizerState bad = state;
  bad["dynamic_scale"] = constant(-1.0f);
  expect_error<Error>([&] { fresh.set_state(bad); }, {"dynamic_scale", "positive"});
}

class LossScaledFit : public ::testing::TestWithParam<bool> {
 protected:
  void TearDown() override { keras::mixed_precision::set_global_policy("float32"); }
};

// Under mixed_float16, compile wraps the optimizer (as Keras 3 does), and fit trains with the
// scaled loss, traced or eager, to the same weights as plain float32 SGD within float16's
// rounding of the activations.
TEST_P(LossScaledFit, CompileWrapsTheOptimizerUnderMixedFloat16) {
  const bool eagerly = GetParam();
  const Tensor x = constant(testing::to_float(testing::random_values(64, -1, 1, 5)), Shape{16, 4});
  const Tensor y = constant(testing::to_float(testing::random_values(16, -1, 1, 6)), Shape{16, 1});
  const auto train = [&](const char* policy) {
    keras::mixed_precision::set_global_policy(policy);
    random::set_seed(3);
    keras::Sequential model({keras::Input({4}), layers::Dense(1, _dtype = "float32")});
    model.compile(_optimizer = optim::SGD(_learning_rate = 0.1), _loss = "mse",
                  _run_eagerly = eagerly);
    model.fit(x, y, _batch_size = 4, _epochs = 2, _verbose = 0);
    return std::make_pair(model.get_weights(), model.optimizer().class_name());
  };
  const auto [plain, plain_class] = train("float32");
  EXPECT_EQ(plain_class, "SGD");
  const auto [scaled, scaled_class] = train("mixed_float16");
  EXPECT_EQ(scaled_class, "LossScaleOptimizer");
  // The Dense layer is float32 here, so the only difference is the scaling itself, which is
  // exact in float32 (a power of two): the weights agree exactly.
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(scaled[i].to_vector<float>(), plain[i].to_vector<float>()) << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, LossScaledFit, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "eager" : "traced"; });

}  // namespace
}  // namespace ember
