// Keyword arguments (core/keywords.h): Keras' keywords in any order give the same options as the
// designated initializers they stand for, for ops, variables, tapes, layers, optimizers, losses,
// metrics, callbacks, compile and fit.
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::values_of;

// A struct of the shape options structs have, and a function taking it both ways.
struct ToyOptions {
  std::optional<std::int64_t> batch_size = std::nullopt;
  int epochs = 1;
  std::string padding = "valid";
  Size2D strides = 1;
  Optional<Shape> input_shape = std::nullopt;
};
ToyOptions toy(ToyOptions options = {}) { return options; }
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, ToyOptions> && ...)) ToyOptions
    toy(const K&... keywords) {
  return toy(with_keywords<ToyOptions>(keywords...));
}

TEST(Keywords, AnyOrderFillsTheSameMembersAsDesignatedInitializers) {
  const ToyOptions a = toy(_epochs = 5, _batch_size = 100);    // lesson 14's order
  const ToyOptions b = toy({.batch_size = 100, .epochs = 5});  // declaration order
  EXPECT_EQ(a.batch_size, b.batch_size);
  EXPECT_EQ(a.epochs, b.epochs);
  EXPECT_EQ(a.padding, "valid");  // untouched members keep their defaults
  // Braced lists make the keyword's own type; plain values convert to the member's.
  const ToyOptions c = toy(_strides = {2, 3}, _input_shape = {784}, _padding = "same");
  EXPECT_EQ(c.strides, Size2D(2, 3));
  EXPECT_EQ(*c.input_shape, Shape({784}));
  EXPECT_EQ(c.padding, "same");
  EXPECT_EQ(toy(_strides = 2).strides, Size2D(2));
  // A repeated keyword: the last one wins, as left-to-right assignment does.
  EXPECT_EQ(toy(_epochs = 2, _epochs = 3).epochs, 3);
}

TEST(Keywords, CoreOpsVariablesAndTapes) {
  const DeviceScope cpu(Device::cpu());
  const Tensor a = constant({{1.f, 2.f}, {3.f, 4.f}});
  EXPECT_EQ(matmul(a, a, _transpose_b = true).to_vector<float>(),
            matmul(a, a, {.transpose_b = true}).to_vector<float>());
  random::set_seed(3);
  const Tensor n1 = random::normal({1000}, _stddev = 2.0, _mean = 1.0);
  random::set_seed(3);
  const Tensor n2 = random::normal({1000}, {.mean = 1.0, .stddev = 2.0});
  EXPECT_EQ(n1.to_vector<float>(), n2.to_vector<float>());
  const Variable v(1.5, _trainable = false, _name = "k");
  EXPECT_EQ(v.name(), "k");
  EXPECT_FALSE(v.trainable());
  GradientTape tape(_watch_accessed_variables = false, _persistent = true);
  EXPECT_TRUE(tape.persistent());
  const Tensor x = constant(std::vector<float>(1 * 5 * 5 * 2, 1.f), {1, 5, 5, 2});
  const Tensor f = constant(std::vector<float>(3 * 3 * 2 * 1, 1.f), {3, 3, 2, 1});
  EXPECT_EQ(conv2d(x, f, _padding = "same", _strides = 2).shape(), Shape({1, 3, 3, 1}));
  EXPECT_EQ(max_pool2d(x, _strides = 1, _ksize = 2).shape(), Shape({1, 4, 4, 2}));
}

TEST(Keywords, LayersGetTheSameConfigEitherWay) {
  keras::clear_session();
  const auto by_keyword = layers::Dense(128, _input_shape = {784}, _activation = "relu");
  keras::clear_session();
  const auto designated = layers::Dense(128, {.activation = "relu", .input_shape = Shape{784}});
  EXPECT_EQ(by_keyword->get_config(), designated->get_config());
  keras::clear_session();
  const auto conv =
      layers::Conv2D(32, 3, _padding = "same", _activation = "relu", _use_bias = false);
  keras::clear_session();
  layers::Conv2DLayerOptions options;  // the base's members are set by name, not designators
  options.activation = "relu";
  options.padding = "same";
  options.use_bias = false;
  const auto conv2 = layers::Conv2D(32, 3, options);
  EXPECT_EQ(conv->get_config(), conv2->get_config());
  EXPECT_EQ(layers::Dropout(0.5, _seed = 7)->get_config()["seed"], 7);
  EXPECT_EQ(layers::MaxPooling2D(3, _padding = "same")->get_config()["padding"], "same");
}

TEST(Keywords, OptimizersLossesMetricsAndCallbacks) {
  const optim::Adam adam(_beta_1 = 0.8, _learning_rate = 0.01, _clipnorm = 1.0);
  const nlohmann::json config = adam.get_config();
  EXPECT_DOUBLE_EQ(config["beta_1"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(config["learning_rate"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(config["clipnorm"].get<double>(), 1.0);
  const optim::SGD sgd(_nesterov = true, _momentum = 0.5);
  EXPECT_EQ(sgd.get_config()["nesterov"], true);
  const losses::CategoricalCrossentropy loss(_label_smoothing = 0.1, _from_logits = true);
  EXPECT_EQ(loss.get_config()["from_logits"], true);
  const metrics::AUC auc(_num_thresholds = 50);
  EXPECT_EQ(auc.get_config()["num_thresholds"], 50);
  const callbacks::EarlyStopping stop(_patience = 3, _monitor = "loss");
  EXPECT_EQ(stop.stopped_epoch(), 0);
}

TEST(Keywords, CompileFitEvaluatePredictInTheLessonsOrder) {
  const DeviceScope cpu(Device::cpu());
  keras::clear_session();
  random::set_seed(1);
  keras::Sequential model({keras::Input({3}), layers::Dense(4, _activation = "softmax")});
  model.compile(_metrics = {"accuracy"}, _loss = "categorical_crossentropy", _optimizer = "sgd");
  const Tensor x = random::uniform({20, 3});
  const Tensor y = one_hot(cast(random::uniform({20}, {.maxval = 4, .dtype = int32}), int64), 4);
  const keras::History h = model.fit(x, y, _verbose = 0, _epochs = 2, _batch_size = 5);
  EXPECT_EQ(h.history.at("loss").size(), 2u);
  const keras::Logs logs = model.evaluate(x, y, _verbose = 0, _batch_size = 4);
  EXPECT_TRUE(logs.contains("accuracy"));
  EXPECT_EQ(model.predict(x, _verbose = 0, _batch_size = 7).shape(), Shape({20, 4}));
}

TEST(Keywords, BracedListsWhereTheLessonsWriteThem) {
  // Optional parameters and members take braced lists (std::optional alone would not).
  const DeviceScope cpu(Device::cpu());
  const Tensor b = reshape(range(6), {2, 3});
  EXPECT_EQ(transpose(b, {1, 0}).shape(), Shape({3, 2}));
  EXPECT_EQ(squeeze(reshape(b, {1, 2, 3}), {0}).shape(), Shape({2, 3}));
  keras::clear_session();
  const auto dense = layers::Dense(10, {.input_shape = {784}});
  EXPECT_EQ(*dense->declared_input_shape(), Shape({784}));
  const auto pool = layers::MaxPooling2D(3, {.strides = {2, 2}});
  EXPECT_EQ(pool->get_config()["strides"], nlohmann::json::array({2, 2}));
  const ToyOptions t{.input_shape = {28, 28}};
  EXPECT_EQ(*t.input_shape, Shape({28, 28}));
  const Pool2DOptions p{.ksize = 2, .strides = {2, 1}};
  EXPECT_EQ(*p.strides, Size2D(2, 1));
}

}  // namespace
}  // namespace ember
