// Modules, layers, initializers, activations and regularizers: semantics, and numbers from
// float64 loops and closed forms written here.
#include <cmath>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::expect_error;
using testing::random_values;
using testing::values_of;

// Lesson 6's module: weights made on the first call.
struct DenseNN : Module {
  std::int64_t outputs;
  std::optional<Variable> w, b;
  explicit DenseNN(std::int64_t outputs) : outputs(outputs) {}
  Tensor operator()(const Tensor& x) {
    if (!w) {
      w = track(
          Variable(random::truncated_normal({x.shape(-1), outputs}, _stddev = 0.1), _name = "w"));
      b = track(Variable(zeros({outputs}), _name = "b"));
    }
    return matmul(x, *w) + *b;
  }
};

struct TwoLayers : Module {
  DenseNN first{4}, second{1};
  TwoLayers() {
    track(first);
    track(second);
  }
  Tensor operator()(const Tensor& x) { return second(relu(first(x))); }
};

class Layers : public testing::OnDevice {};

TEST_P(Layers, ModulesTrackVariablesAndSubmodulesInOrder) {
  TwoLayers model;
  EXPECT_TRUE(model.trainable_variables().empty());
  (void)model(ones({2, 3}));
  const auto vars = model.trainable_variables();
  ASSERT_EQ(vars.size(), 4u);
  // tf.Module's order: each module's variables by attribute name (b before w), then its
  // submodules' (tests/golden/lesson_semantics.py); the variables carry the attributes' names.
  EXPECT_EQ(vars[0].shape(), Shape({4}));
  EXPECT_EQ(vars[1].shape(), Shape({3, 4}));
  EXPECT_EQ(vars[2].shape(), Shape({1}));
  EXPECT_EQ(model.submodules().size(), 2u);
  // tf.Module's default names: the class's in snake_case.
  EXPECT_EQ(model.name(), "two_layers");
  EXPECT_EQ(model.submodules()[0]->name(), "dense_nn");
  // A variable tracked twice appears once.
  struct Shared : Module {
    Variable v{zeros({2})};
    Shared() {
      track(v);
      track(v);
    }
  } shared;
  EXPECT_EQ(shared.variables().size(), 1u);
  Variable frozen(zeros({1}), _trainable = false);
  struct WithFrozen : Module {
    explicit WithFrozen(Variable f) { track(f); }
  } with_frozen(frozen);
  EXPECT_EQ(with_frozen.variables().size(), 1u);
  EXPECT_TRUE(with_frozen.trainable_variables().empty());
}

// Lesson 9's layers: weights from add_weight, and layers held as members (Keras' self.layer_1).
struct AffineLayer : keras::Layer {
  std::int64_t units;
  Variable w, b;
  explicit AffineLayer(std::int64_t units) : units(units) {}
  void build(const Shape& input_shape) override {
    w = add_weight("w", {input_shape[-1], units}, "ones");
    b = add_weight("b", {units}, "zeros");
  }
  Tensor call(const Tensor& inputs) override { return matmul(inputs, w) + b; }
};

struct MemberLayers : keras::Model {
  AffineLayer layer_1{3};
  keras::Handle<AffineLayer> layer_2 = keras::make<AffineLayer>(1);  // held, never tracked
  Variable scale{constant(2.0f), _name = "scale"};                   // a plain Variable member
  Tensor call(const Tensor& inputs) override {
    const Tensor hidden = layer_2(relu(layer_1(inputs)));
    return scale * hidden;
  }
};

TEST_P(Layers, LayersTrackWhatTheirCallCallsAndReads) {
  MemberLayers model;
  EXPECT_TRUE(model.trainable_variables().empty());
  const Tensor y = model(constant({{1.0f, 2.0f}}));
  // All ones: layer_1 gives [3, 3, 3], layer_2 9, times the scale 2.
  EXPECT_EQ(y.to_vector<float>(), std::vector<float>{18.0f});
  const auto vars = model.trainable_variables();
  ASSERT_EQ(vars.size(), 5u);
  // Keras' order: the layer's own variables, then its sublayers' in the order the call met them.
  EXPECT_EQ(vars[0].id(), model.scale.id());
  EXPECT_EQ(vars[1].id(), model.layer_1.w.id());
  EXPECT_EQ(vars[2].id(), model.layer_1.b.id());
  EXPECT_EQ(vars[3].id(), model.layer_2->w.id());
  EXPECT_EQ(vars[4].id(), model.layer_2->b.id());
  EXPECT_EQ(model.count_params(), 2 * 3 + 3 + 3 + 1 + 1);
  // Later calls add nothing, and a variable read in a sublayer stays the sublayer's.
  (void)model(constant({{1.0f, 2.0f}}));
  EXPECT_EQ(model.trainable_variables().size(), 5u);
  EXPECT_EQ(model.layer_1.trainable_variables().size(), 2u);
  // The gradients of all of them reach fit: d y / d scale = 9, d y / d layer_2.b = 2.
  GradientTape tape;
  const Tensor out = model(constant({{1.0f, 2.0f}}));
  const auto grads = tape.gradient(out, vars);
  ASSERT_TRUE(grads[0] && grads[4]);
  EXPECT_EQ(grads[0]->item<float>(), 9.0f);
  EXPECT_EQ(grads[4]->to_vector<float>(), std::vector<float>{2.0f});
}

TEST_P(Layers, AdoptedLayersOutliveOrPrecedeTheirOwner) {
  // A layer on the stack called inside a heap model's call, destroyed first: the model forgets
  // it. A model destroyed first leaves the layer whole.
  struct Calls : keras::Layer {
    keras::Layer* inner;
    explicit Calls(keras::Layer* inner) : inner(inner) {}
    Tensor call(const Tensor& x) override { return (*inner)(x); }
  };
  auto outer = keras::make<Calls>(nullptr);
  {
    AffineLayer inner(2);
    outer->inner = &inner;
    (void)outer(ones({1, 2}));
    EXPECT_EQ(outer->trainable_variables().size(), 2u);
  }
  EXPECT_TRUE(outer->trainable_variables().empty());
  AffineLayer survivor(2);
  {
    Calls owner(&survivor);
    (void)owner(ones({1, 2}));
    EXPECT_EQ(owner.trainable_variables().size(), 2u);
  }
  EXPECT_EQ(survivor(ones({1, 2})).to_vector<float>(), (std::vector<float>{2.0f, 2.0f}));
}

TEST_P(Layers, DenseBuildsOnFirstCallAndMatchesLoops) {
  auto dense = layers::Dense(3, _activation = "relu");
  EXPECT_TRUE(dense->weights().empty());  // Keras: no weights before the input shape is known
  EXPECT_FALSE(dense->built());
  const Tensor x = constant(random_values(10, -1, 1, 4), Shape{2, 5});
  GradientTape tape;
  const Tensor y = dense(x);
  ASSERT_TRUE(dense->built());
  ASSERT_EQ(dense->weights().size(), 2u);
  EXPECT_EQ(dense->kernel.shape(), Shape({5, 3}));
  EXPECT_EQ(dense->bias.shape(), Shape({3}));
  EXPECT_EQ(dense->kernel.name(), "kernel");  // Keras 3: the name, and the path beside it
  EXPECT_EQ(dense->kernel.path(), dense->name() + "/kernel");
  EXPECT_EQ(dense->count_params(), 18);
  const auto xv = values_of(x), w = values_of(dense->kernel.value()),
             b = values_of(dense->bias.value());
  std::vector<double> expected;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      double s = b[j];
      for (int k = 0; k < 5; ++k) s += xv[i * 5 + k] * w[k * 3 + j];
      expected.push_back(std::max(0.0, s));
    }
  }
  expect_close(values_of(y), expected, 1e-5, "dense");
  // d sum(y) / d kernel[k, j] = sum over rows with a positive output of x[i, k].
  const auto grads = tape.gradient(reduce_sum(y), dense->trainable_weights());
  std::vector<double> dk(15, 0.0);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      if (expected[i * 3 + j] > 0)
        for (int k = 0; k < 5; ++k) dk[k * 3 + j] += xv[i * 5 + k];
  expect_close(values_of(*grads[0]), dk, 1e-5, "dense kernel gradient");
  expect_error<ShapeError>([&] { dense(ones({2, 4})); }, {dense->name(), "5", "(2, 4)"});
}

TEST_P(Layers, FreezingExcludesWeightsFromTraining) {
  auto dense = layers::Dense(2);
  (void)dense(ones({1, 3}));
  dense->set_trainable(false);
  EXPECT_TRUE(dense->trainable_weights().empty());
  EXPECT_EQ(dense->non_trainable_weights().size(), 2u);
  EXPECT_FALSE(dense->kernel.trainable());
  dense->set_trainable(true);
  EXPECT_EQ(dense->trainable_weights().size(), 2u);
}

TEST_P(Layers, DropoutKeepsHalfAndPreservesTheMean) {
  auto dropout = layers::Dropout(0.5, _seed = 7);
  const Tensor x = ones({200000});
  EXPECT_EQ(dropout(x).to_vector<float>(), x.to_vector<float>());  // inference: identity
  const Tensor y = dropout(x, true);
  const auto v = y.to_vector<float>();
  const double kept = std::count_if(v.begin(), v.end(), [](float a) { return a != 0; });
  EXPECT_NEAR(kept / v.size(), 0.5, 0.005);
  for (float a : v) EXPECT_TRUE(a == 0.f || a == 2.f);
  EXPECT_NEAR(reduce_mean(y).item<float>(), 1.0, 0.01);
  // The same seed gives the same masks; the next call a new one.
  auto again = layers::Dropout(0.5, _seed = 7);
  EXPECT_EQ(again(x, true).to_vector<float>(), v);
  EXPECT_NE(again(x, true).to_vector<float>(), v);
  expect_error<Error>([] { layers::Dropout(1.0); }, {"Dropout", "rate"});
}

TEST_P(Layers, InitializersHaveKerasStatistics) {
  const Shape shape{300, 200};
  const auto [fan_in, fan_out] = initializers::compute_fans(shape);
  EXPECT_EQ(fan_in, 300);
  EXPECT_EQ(fan_out, 200);
  EXPECT_EQ(initializers::compute_fans({3, 3, 16, 32}), std::make_pair(144.0, 288.0));
  auto stats = [](const Tensor& t) {
    const auto v = values_of(t);
    double mean = 0, sq = 0, max_abs = 0;
    for (double x : v) mean += x;
    mean /= v.size();
    for (double x : v) {
      sq += (x - mean) * (x - mean);
      max_abs = std::max(max_abs, std::fabs(x));
    }
    return std::make_tuple(mean, std::sqrt(sq / v.size()), max_abs);
  };
  const double glorot_limit = std::sqrt(6.0 / (300 + 200));
  auto [m1, s1, a1] = stats(initializers::InitializerRef("glorot_uniform")(shape, float32));
  EXPECT_LE(a1, glorot_limit);
  EXPECT_NEAR(s1, glorot_limit / std::sqrt(3.0), 0.003);
  EXPECT_NEAR(m1, 0, 0.003);
  auto [m2, s2, a2] = stats(initializers::InitializerRef("he_normal")(shape, float32));
  EXPECT_NEAR(s2, std::sqrt(2.0 / 300), 0.002);  // truncated, then widened back
  EXPECT_LE(a2, 2 * std::sqrt(2.0 / 300) / 0.87962566103423978 + 1e-6);
  auto [m3, s3, a3] = stats(initializers::InitializerRef("glorot_normal")(shape, float32));
  EXPECT_NEAR(s3, std::sqrt(2.0 / 500), 0.002);
  auto [m4, s4, a4] = stats(initializers::InitializerRef("random_normal")(shape, float32));
  EXPECT_NEAR(s4, 0.05, 0.001);
  auto [m5, s5, a5] = stats(initializers::InitializerRef("random_uniform")(shape, float32));
  EXPECT_LE(a5, 0.05);
  EXPECT_EQ(initializers::InitializerRef("zeros")({2}, float32).to_vector<float>(),
            (std::vector<float>{0, 0}));
  EXPECT_EQ(initializers::InitializerRef("ones")({2}, float32).to_vector<float>(),
            (std::vector<float>{1, 1}));
  EXPECT_EQ(
      initializers::InitializerRef(initializers::Constant(3))({2}, float32).to_vector<float>(),
      (std::vector<float>{3, 3}));
  // A seeded initializer repeats itself (Keras' rule).
  const initializers::InitializerRef seeded(initializers::GlorotUniform(5));
  EXPECT_EQ(seeded({4, 4}, float32).to_vector<float>(), seeded({4, 4}, float32).to_vector<float>());
  // Orthogonal: Q^T Q = I for a tall matrix, Q Q^T = I for a wide one.
  for (const Shape& s : {Shape{6, 4}, Shape{4, 6}}) {
    const Tensor q = initializers::InitializerRef("orthogonal")(s, float64);
    const Tensor gram =
        s[0] > s[1] ? matmul(q, q, _transpose_a = true) : matmul(q, q, _transpose_b = true);
    const std::int64_t n = std::min(s[0], s[1]);
    expect_close(values_of(gram), values_of(eye(n, std::nullopt, float64)), 1e-12, "orthogonal");
  }
  expect_error<Error>([] { initializers::InitializerRef("glorot"); },
                      {"glorot", "glorot_uniform", "he_normal"});
}

TEST_P(Layers, ActivationsByName) {
  const Tensor x = constant({-2.0, -0.5, 0.0, 0.5, 2.0}, float64);
  const auto xv = values_of(x);
  auto check = [&](const char* name, const std::function<double(double)>& f) {
    std::vector<double> expected;
    for (double v : xv) expected.push_back(f(v));
    expect_close(values_of(activations::get(name)(x)), expected, 1e-12, name);
  };
  check("relu", [](double v) { return std::max(0.0, v); });
  check("sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); });
  check("tanh", [](double v) { return std::tanh(v); });
  check("linear", [](double v) { return v; });
  check("elu", [](double v) { return v > 0 ? v : std::exp(v) - 1; });
  check("selu", [](double v) {
    return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (std::exp(v) - 1));
  });
  check("gelu", [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
  check("swish", [](double v) { return v / (1 + std::exp(-v)); });
  check("softplus", [](double v) { return std::log1p(std::exp(v)); });
  check("leaky_relu", [](double v) { return v > 0 ? v : 0.2 * v; });
  double total = 0;
  for (double v : xv) total += std::exp(v);
  check("softmax", [&](double v) { return std::exp(v) / total; });
  expect_error<Error>([] { activations::get("rectifier"); }, {"rectifier", "relu", "gelu"});
}

TEST(LayerWeights, OrderStaysWhenFrozen) {
  // Keras keeps a layer's weights as created-trainable, then the others; freezing changes which
  // are trainable, not that order (weight files and get_weights() rely on it).
  struct Counter : keras::Layer {
    Variable count, scale;
    void build(const Shape&) override {
      count = add_weight("count", {1}, "zeros", /*trainable=*/false);
      scale = add_weight("scale", {1}, "ones");
    }
    Tensor call(const Tensor& x) override { return x * scale; }
  };
  auto layer = keras::make<Counter>();
  (void)layer(ones({1, 1}));
  const auto names = [&] {
    std::vector<std::string> out;
    for (const Variable& v : layer->weights()) out.push_back(v.name());
    return out;
  };
  const std::vector<std::string> keras_order = {"scale", "count"};
  EXPECT_EQ(names(), keras_order);
  layer->set_trainable(false);
  EXPECT_EQ(names(), keras_order);
  EXPECT_TRUE(layer->trainable_weights().empty());
  EXPECT_EQ(layer->non_trainable_weights().size(), 2u);
}

TEST_P(Layers, LossesFromAddLossAndRegularizers) {
  struct Penalised : keras::Layer {
    Variable w;
    void build(const Shape& in) override { w = add_weight("w", {in[-1], 2}, "ones"); }
    Tensor call(const Tensor& x) override {
      add_loss(reduce_mean(square(w)) * 10);
      add_metric(reduce_sum(w), "w_sum");
      return matmul(x, w);
    }
  };
  auto layer = keras::make<Penalised>();
  (void)layer(ones({1, 3}));
  auto losses = layer->losses();
  ASSERT_EQ(losses.size(), 1u);
  EXPECT_FLOAT_EQ(losses[0].item<float>(), 10.f);
  ASSERT_EQ(layer->metrics_values().size(), 1u);
  EXPECT_EQ(layer->metrics_values()[0].first, "w_sum");
  (void)layer(ones({1, 3}));
  EXPECT_EQ(layer->losses().size(), 1u);  // each top-level call starts afresh

  auto dense = layers::Dense(2, _bias_initializer = initializers::Constant(0.5),
                             _kernel_regularizer = regularizers::L2(0.1), _bias_regularizer = "l1");
  (void)dense(ones({1, 3}));
  const auto reg = dense->losses();
  ASSERT_EQ(reg.size(), 2u);
  double sq = 0;
  for (double v : values_of(dense->kernel.value())) sq += v * v;
  EXPECT_NEAR(reg[0].item<float>(), 0.1 * sq, 1e-6);
  EXPECT_NEAR(reg[1].item<float>(), 0.01 * 2 * 0.5, 1e-7);
}

TEST_P(Layers, EmbeddingAndLayerNormalization) {
  auto embedding = layers::Embedding(10, 3);
  const Tensor ids = constant({{1, 4}, {9, 1}});
  const Tensor e = embedding(ids);
  EXPECT_EQ(e.shape(), Shape({2, 2, 3}));
  const auto table = values_of(embedding->embeddings.value());
  EXPECT_EQ(values_of(e[1][0]), std::vector<double>(table.begin() + 27, table.begin() + 30));
  for (double v : table) EXPECT_LE(std::fabs(v), 0.05);
  if (device().is_cpu())
    expect_error<IndexError>([&] { embedding(constant({{10}})); }, {"index 10"});

  auto norm = layers::LayerNormalization(_epsilon = 1e-3);
  const Tensor x = constant(random_values(12, -3, 3, 9), Shape{3, 4});
  const auto xv = values_of(x), y = values_of(norm(x));
  for (int r = 0; r < 3; ++r) {
    double mean = 0, var = 0;
    for (int c = 0; c < 4; ++c) mean += xv[r * 4 + c] / 4;
    for (int c = 0; c < 4; ++c) var += (xv[r * 4 + c] - mean) * (xv[r * 4 + c] - mean) / 4;
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(y[r * 4 + c], (xv[r * 4 + c] - mean) / std::sqrt(var + 1e-3), 1e-5);
    }
  }
  EXPECT_EQ(norm->weights().size(), 2u);
}

TEST_P(Layers, FlattenReshapeLambdaActivation) {
  const Tensor x = reshape(cast(range(24), float32), {2, 3, 4});
  EXPECT_EQ(layers::Flatten()(x).shape(), Shape({2, 12}));
  EXPECT_EQ(layers::Reshape({4, -1})(x).shape(), Shape({2, 4, 3}));
  EXPECT_EQ(layers::Lambda([](const Tensor& t) { return t * 2; })(x).to_vector<float>()[23], 46.f);
  EXPECT_EQ(layers::Activation("relu")(constant({-1.f, 1.f})).to_vector<float>(),
            (std::vector<float>{0, 1}));
}

TEST_P(Layers, ConfigsRoundTripThroughTheRegistry) {
  auto dense =
      layers::Dense(7, _activation = "tanh", _use_bias = false, _kernel_initializer = "he_normal",
                    _kernel_regularizer = regularizers::L2(0.5), _name = "projection");
  const keras::Config serialized = keras::serialize_layer(*dense);
  EXPECT_EQ(serialized["class_name"], "Dense");
  EXPECT_EQ(serialized["config"]["units"], 7);
  EXPECT_EQ(serialized["config"]["activation"], "tanh");
  EXPECT_EQ(serialized["config"]["kernel_initializer"]["class_name"], "HeNormal");
  EXPECT_EQ(serialized["config"]["kernel_regularizer"]["config"]["l2"], 0.5);
  const keras::LayerHandle copy = keras::layer_from_config(serialized);
  EXPECT_EQ(copy->get_config(), dense->get_config());
  for (const auto& layer : std::vector<keras::LayerHandle>{
           layers::Dropout(0.3, _seed = 1), layers::Flatten(), layers::Reshape({2, -1}),
           layers::Embedding(5, 2), layers::LayerNormalization(_epsilon = 0.01),
           layers::Activation("gelu")}) {
    EXPECT_EQ(keras::layer_from_config(keras::serialize_layer(*layer))->get_config(),
              layer->get_config())
        << layer->class_name();
  }
  // A custom layer needs registering.
  struct Scale : keras::Layer {
    double factor;
    explicit Scale(double f, keras::LayerOptions o = {}) : Layer(std::move(o)), factor(f) {}
    Tensor call(const Tensor& x) override { return x * factor; }
    std::string class_name() const override { return "Scale"; }
    keras::Config get_config() const override {
      keras::Config c = Layer::get_config();
      c["factor"] = factor;
      return c;
    }
    static keras::Handle<Scale> from_config(const keras::Config& c) {
      return keras::make<Scale>(c.at("factor").get<double>());
    }
  };
  auto scale = keras::make<Scale>(3.0);
  expect_error<Error>([&] { keras::layer_from_config(keras::serialize_layer(*scale)); },
                      {"Scale", "register_layer"});
  keras::register_layer<Scale>("Scale");
  EXPECT_EQ(
      keras::layer_from_config(keras::serialize_layer(*scale))(constant({2.f})).to_vector<float>(),
      std::vector<float>{6});
}

TEST_P(Layers, LayersGetAndSetWeightsAndKerasActivationNames) {
  // Lesson 16: weights can be read and set on layers as on models.
  auto dense = layers::Dense(2);
  (void)dense(ones({1, 3}));
  const std::vector<Tensor> w = dense->get_weights();
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].shape(), Shape({3, 2}));
  dense->set_weights({ones({3, 2}), constant({0.5f, -0.5f})});
  expect_close(testing::values_of(dense(ones({1, 3}))), {3.5, 2.5}, 1e-6);
  EXPECT_THROW(dense->set_weights({ones({2, 2}), zeros({2})}), ShapeError);
  EXPECT_THROW(dense->set_weights({ones({3, 2})}), Error);
  // Lesson 3: tf.keras.activations.relu(a).
  const Tensor a = constant({-1.0f, 2.0f});
  expect_close(testing::values_of(activations::relu(a)), {0.0, 2.0}, 0);
  expect_close(testing::values_of(activations::exponential(constant({0.0f}))), {1.0}, 0);
}

INSTANTIATE_TEST_SUITE_P(Devices, Layers, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
