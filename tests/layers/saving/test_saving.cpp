// Saving and loading whole models (lesson 16): configs (get_config/from_config, to_json,
// model_from_json — also Keras 3's own JSON), optimizer configs, Model::save / keras::load_model
// with weights, compile() arguments and optimizer state, custom models, and broken files.
#include <filesystem>
#include <fstream>
#include <functional>

#include "tests/test_support.h"

using namespace ember;
using ember::testing::expect_close;
using ember::testing::TempDir;
using ember::testing::values_of;

namespace {

namespace fs = std::filesystem;

std::string test_data(const std::string& name) {
  const char* dir = std::getenv("EMBER_TEST_DATA");  // set by CTest
  return std::string(dir ? dir : "tests/data") + "/saving/" + name;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

/// A functional model with everything a graph config must carry: a layer called twice, a
/// merge of two branches, a nested Sequential, and two outputs.
keras::Handle<keras::Model> two_headed_model() {
  auto inputs = keras::Input({6}, _name = "features");
  auto shared = layers::Dense(6, _activation = "tanh", _name = "shared");
  auto a = shared(inputs);
  auto b = layers::Dense(6, _name = "side")(inputs);
  auto total = layers::add({a, b});
  auto again = shared(total);
  auto tower = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{
          layers::Dense(4, _activation = "relu", _name = "tower_hidden"),
          layers::Dense(3, _activation = "softmax", _name = "tower_out")},
      "tower");
  auto head = (*tower)(again);
  return keras::make<keras::Model>(inputs, std::vector<keras::KerasTensor>{head, b}, "two_heads");
}

void expect_same_outputs(keras::Model& a, keras::Model& b, const Tensor& x) {
  const std::vector<Tensor> ya = a(std::vector<Tensor>{x}), yb = b(std::vector<Tensor>{x});
  ASSERT_EQ(ya.size(), yb.size());
  for (std::size_t i = 0; i < ya.size(); ++i)
    expect_close(values_of(yb[i]), values_of(ya[i]), 1e-6);
}

/// The lesson's custom model: Dense layers of the given widths, with get_config/from_config.
struct NeuralNetwork : keras::Model {
  std::vector<std::int64_t> units;
  std::string activation;
  std::vector<keras::Handle<layers::DenseLayer>> model_layers;

  NeuralNetwork(std::vector<std::int64_t> units_in, std::string activation_in = "relu")
      : units(std::move(units_in)), activation(std::move(activation_in)) {
    for (std::int64_t n : units)
      model_layers.push_back(track(layers::Dense(n, _activation = activation)));
  }
  Tensor call(const Tensor& x) override {
    Tensor y = x;
    for (auto& layer : model_layers) y = layer(y);
    return y;
  }
  keras::Config get_config() const override {
    keras::Config config = keras::Model::get_config();
    config["units"] = units;
    config["activation"] = activation;
    return config;
  }
  static keras::Handle<NeuralNetwork> from_config(const keras::Config& config) {
    return keras::make<NeuralNetwork>(config.at("units").get<std::vector<std::int64_t>>(),
                                      config.at("activation").get<std::string>());
  }
};

Tensor squared_error(const Tensor& y, const Tensor& p) { return square(y - p); }

keras::LayerFactory neural_network_factory() {
  return [](const keras::Config& c) -> keras::LayerHandle { return NeuralNetwork::from_config(c); };
}

}  // namespace

// --- optimizers ----------------------------------------------------------------------------------

TEST(OptimizerConfig, EveryOptimizerRoundTrips) {
  const std::vector<std::shared_ptr<optim::Optimizer>> optimizers = {
      std::make_shared<optim::SGD>(_learning_rate = 0.05, _momentum = 0.8, _nesterov = true,
                                   _clipnorm = 2.0),
      std::make_shared<optim::Adam>(_learning_rate = 0.003, _beta_1 = 0.8, _amsgrad = true,
                                    _weight_decay = 0.1),
      std::make_shared<optim::AdamW>(_weight_decay = 0.02, _global_clipnorm = 1.5),
      std::make_shared<optim::Nadam>(_beta_2 = 0.99),
      std::make_shared<optim::Adamax>(_epsilon = 1e-5, _clipvalue = 0.5),
      std::make_shared<optim::RMSprop>(_rho = 0.8, _momentum = 0.3, _centered = true),
      std::make_shared<optim::Adagrad>(_initial_accumulator_value = 0.2),
      std::make_shared<optim::Adadelta>(_learning_rate = 1.0, _rho = 0.9, _name = "mine"),
  };
  for (const auto& optimizer : optimizers) {
    const nlohmann::json serialized = optim::serialize(*optimizer);
    const auto again = optim::from_config(serialized);
    EXPECT_EQ(again->class_name(), optimizer->class_name());
    EXPECT_EQ(optim::serialize(*again), serialized) << serialized.dump();
  }
  EXPECT_EQ(optim::serialize(*optimizers[0])["config"]["momentum"], 0.8);
  EXPECT_EQ(optim::serialize(*optimizers[2])["config"]["weight_decay"], 0.02);
  EXPECT_EQ(optim::serialize(*optimizers[7])["config"]["name"], "mine");
}

TEST(OptimizerConfig, SchedulesRoundTripAndCallablesCannotBeSaved) {
  const optim::SGD decayed(
      _learning_rate = optim::ExponentialDecay(_initial_learning_rate = 0.1, _decay_steps = 10,
                                               _decay_rate = 0.5, _staircase = true));
  const auto again = optim::from_config(optim::serialize(decayed));
  for (std::int64_t step : {0, 9, 10, 25}) {
    // The rule written out: 0.1 · 0.5^floor(step / 10).
    EXPECT_DOUBLE_EQ(
        optim::LearningRate::from_config(optim::serialize(*again)["config"]["learning_rate"])
            .at(step),
        0.1 * std::pow(0.5, step / 10));
  }
  const optim::Adam piecewise(_learning_rate =
                                  optim::PiecewiseConstantDecay({5, 10}, {0.1, 0.01, 0.001}));
  EXPECT_EQ(optim::serialize(piecewise)["config"]["learning_rate"]["class_name"],
            "PiecewiseConstantDecay");
  EXPECT_DOUBLE_EQ(
      optim::LearningRate::from_config(optim::serialize(piecewise)["config"]["learning_rate"])
          .at(7),
      0.01);
  const optim::SGD cosine(_learning_rate =
                              optim::CosineDecay(_initial_learning_rate = 0.2, _decay_steps = 100,
                                                 _warmup_target = 0.4, _warmup_steps = 10));
  EXPECT_DOUBLE_EQ(
      optim::LearningRate::from_config(optim::serialize(cosine)["config"]["learning_rate"]).at(5),
      0.3);

  const optim::SGD callable(_learning_rate = optim::LearningRate([](std::int64_t) { return 0.1; }));
  EXPECT_THROW(optim::serialize(callable), Error);
  EXPECT_THROW(optim::from_config(nlohmann::json{{"class_name", "Lion"}}), Error);
  EXPECT_THROW(
      optim::from_config(nlohmann::json{{"class_name", "SGD"}, {"config", {{"momentum", "high"}}}}),
      Error);
  EXPECT_THROW(optim::LearningRate::from_config(nlohmann::json{{"class_name", "OneCycle"}}), Error);
}

/// Keras 3's serialization of Adam(0.01) (keras.optimizers.serialize), as Keras wrote it.
TEST(OptimizerConfig, ReadsKerasSerialization) {
  const auto adam = optim::from_config(
      nlohmann::json::parse(R"({"module": "keras.optimizers", "class_name": "Adam",
    "config": {"name": "adam", "learning_rate": 0.009999999776482582, "weight_decay": null, "clipnorm": null,
    "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
    "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null,
    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": false}, "registered_name": null})"));
  EXPECT_EQ(adam->class_name(), "Adam");
  EXPECT_EQ(adam->name(), "adam");
  EXPECT_NEAR(adam->learning_rate(), 0.01, 1e-9);
}

// --- architectures
// --------------------------------------------------------------------------------

TEST(ModelConfig, FunctionalRoundTripKeepsGraphNamesAndOutputs) {
  keras::clear_session();
  auto model = two_headed_model();
  const nlohmann::json config = nlohmann::json::parse(model->to_json());
  EXPECT_EQ(config["class_name"], "Functional");
  EXPECT_EQ(config["config"]["input_layers"], nlohmann::json::parse(R"([["features", 0, 0]])"));
  EXPECT_EQ(config["config"]["output_layers"],
            nlohmann::json::parse(R"([["tower", 0, 0], ["side", 0, 0]])"));
  // The shared layer's second call reads the Add's output: keras_history = [add, 0, 0].
  for (const auto& layer : config["config"]["layers"]) {
    if (layer["name"] != "shared") continue;
    ASSERT_EQ(layer["inbound_nodes"].size(), 2u);
    EXPECT_EQ(layer["inbound_nodes"][1]["args"][0]["config"]["keras_history"][0], "add");
  }

  auto again = keras::model_from_json(model->to_json());
  EXPECT_EQ(again->name(), "two_heads");
  ASSERT_EQ(again->layers().size(), model->layers().size());
  for (std::size_t i = 0; i < model->layers().size(); ++i) {
    EXPECT_EQ(again->layers()[i]->name(), model->layers()[i]->name());
    EXPECT_EQ(again->layers()[i]->class_name(), model->layers()[i]->class_name());
  }
  EXPECT_EQ(again->count_params(), model->count_params());
  EXPECT_EQ(again->summary_string(), model->summary_string());
  EXPECT_EQ(again->to_json(), model->to_json());
  again->set_weights(model->get_weights());
  expect_same_outputs(*model, *again, random::Generator(2).normal({5, 6}));
}

TEST(ModelConfig, SequentialRoundTripsWithAndWithoutInput) {
  keras::clear_session();
  keras::Sequential with_input({keras::Input({8}), layers::Dense(4, _activation = "relu"),
                                layers::Dropout(0.25), layers::Dense(2, _activation = "softmax")},
                               "classifier");
  const nlohmann::json config = nlohmann::json::parse(with_input.to_json());
  EXPECT_EQ(config["class_name"], "Sequential");
  EXPECT_EQ(config["config"]["layers"][0]["class_name"], "InputLayer");
  EXPECT_EQ(config["config"]["layers"][1]["config"]["units"], 4);
  auto again = keras::model_from_json(with_input.to_json());
  EXPECT_EQ(again->class_name(), "Sequential");
  EXPECT_EQ(again->count_params(), with_input.count_params());
  again->set_weights(with_input.get_weights());
  expect_same_outputs(with_input, *again, random::Generator(4).uniform({3, 8}));

  // Built by a call, not declared: the build shape is what comes back.
  keras::Sequential called({layers::Dense(3)});
  called(zeros({2, 5}));
  auto rebuilt = keras::model_from_json(called.to_json());
  EXPECT_EQ(rebuilt->count_params(), 5 * 3 + 3);
}

TEST(ModelConfig, ReadsKerasJson) {
  keras::clear_session();
  for (const std::string name : {"functional", "sequential"}) {
    auto model = keras::model_from_json(read_text(test_data(name + ".json")));
    std::vector<Tensor> weights;
    for (std::size_t i = 0; fs::exists(test_data(name + "_weight_" + std::to_string(i) + ".npy"));
         ++i) {
      weights.push_back(io::load_npy(test_data(name + "_weight_" + std::to_string(i) + ".npy")));
    }
    ASSERT_EQ(weights.size(), model->weights().size()) << name;
    model->set_weights(weights);
    const std::vector<Tensor> outputs =
        model->predict(std::vector<Tensor>{io::load_npy(test_data(name + "_x.npy"))}, _verbose = 0);
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      const Tensor expected = io::load_npy(test_data(name + "_y_" + std::to_string(i) + ".npy"));
      expect_close(values_of(outputs[i]), values_of(expected), 1e-5,
                   name + " output " + std::to_string(i));
    }
  }
}

TEST(ModelConfig, BadConfigsAreErrorsNamingTheProblem) {
  EXPECT_THROW(keras::model_from_json("{not json"), Error);
  EXPECT_THROW(keras::model_from_json(R"({"class_name": "Dense", "config": {"units": 2}})"),
               Error);  // not a model
  try {
    keras::model_from_json(R"({"class_name": "NoSuchModel", "config": {}})");
    FAIL() << "unknown class accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NoSuchModel"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("custom_objects"), std::string::npos);
  }
  // A call that reads a tensor no layer makes.
  nlohmann::json config = nlohmann::json::parse(two_headed_model()->to_json());
  for (auto& layer : config["config"]["layers"]) {
    if (layer["name"] == "side")
      layer["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "ghost";
  }
  try {
    keras::model_from_json(config.dump());
    FAIL() << "dangling reference accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ghost[0][0]"), std::string::npos) << e.what();
  }
  config = nlohmann::json::parse(two_headed_model()->to_json());
  config["config"].erase("output_layers");
  EXPECT_THROW(keras::model_from_json(config.dump()), Error);
}

// --- save and load
// ---------------------------------------------------------------------------------

TEST(SaveLoad, TrainingContinuesExactlyAfterLoading) {
  keras::clear_session();
  const TempDir dir;
  auto model = two_headed_model();
  model->compile(
      _optimizer = optim::Adam(_learning_rate = 0.01),
      _loss = {{"tower", "categorical_crossentropy"}, {"side", losses::Huber(_delta = 0.5)}},
      _loss_weights = {{"tower", 1.0}, {"side", 0.3}},
      _metrics = {{"tower", {"accuracy", metrics::TopKCategoricalAccuracy(_k = 2)}},
                  {"side", {"mae"}}});
  const Tensor x = random::Generator(7).normal({16, 6});
  const Tensor labels =
      one_hot(random::Generator(8).uniform({16}, _minval = 0, _maxval = 3, _dtype = int32), 3);
  const Tensor targets = random::Generator(9).normal({16, 6});
  model->fit(x, {labels, targets}, _batch_size = 8, _epochs = 2, _verbose = 0);

  model->save(dir / "model");
  EXPECT_TRUE(fs::exists(dir / "model/config.json"));
  EXPECT_TRUE(fs::exists(dir / "model/model.safetensors"));
  auto loaded = keras::load_model(dir / "model");
  ASSERT_TRUE(loaded->compiled());
  EXPECT_EQ(loaded->optimizer().class_name(), "Adam");
  EXPECT_EQ(loaded->optimizer().iterations(), 4);
  expect_same_outputs(*model, *loaded, x);
  const keras::Logs before = model->evaluate(x, {labels, targets}, _verbose = 0);
  const keras::Logs after = loaded->evaluate(x, {labels, targets}, _verbose = 0);
  ASSERT_EQ(before.entries().size(), after.entries().size());
  for (std::size_t i = 0; i < before.entries().size(); ++i) {
    EXPECT_EQ(after.entries()[i].first, before.entries()[i].first);
    EXPECT_NEAR(after.entries()[i].second, before.entries()[i].second, 1e-6)
        << before.entries()[i].first;
  }
  // Adam's slots and step count came back: the next steps are the same steps.
  model->fit(x, {labels, targets}, _batch_size = 8, _epochs = 1, _verbose = 0, _shuffle = false);
  loaded->fit(x, {labels, targets}, _batch_size = 8, _epochs = 1, _verbose = 0, _shuffle = false);
  const std::vector<Tensor> wa = model->get_weights(), wb = loaded->get_weights();
  for (std::size_t i = 0; i < wa.size(); ++i)
    expect_close(values_of(wb[i]), values_of(wa[i]), 1e-6);
}

TEST(SaveLoad, OptimizerStateFollowsTheWeightsByPositionNotByName) {
  // A model rebuilt in code gets other layer names (dense_3 for dense): the optimizer's slots
  // must still reach their variables, as the weights do, by position.
  const TempDir dir;
  const auto build = [] {
    auto model = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({3}), layers::Dense(4, _activation = "tanh"), layers::Dense(1)});
    model->compile(_optimizer = optim::Adam(_learning_rate = 0.05), _loss = "mse");
    return model;
  };
  const Tensor x = random::Generator(3).normal({8, 3}), y = random::Generator(4).normal({8, 1});
  auto trained = build();
  trained->fit(x, y, _batch_size = 4, _epochs = 2, _verbose = 0, _shuffle = false);
  trained->save_weights(dir / "state.safetensors", /*include_optimizer=*/true);
  auto rebuilt = build();
  ASSERT_NE(rebuilt->weights()[0].path(), trained->weights()[0].path());
  rebuilt->load_weights(dir / "state.safetensors");
  trained->fit(x, y, _batch_size = 4, _epochs = 1, _verbose = 0, _shuffle = false);
  rebuilt->fit(x, y, _batch_size = 4, _epochs = 1, _verbose = 0, _shuffle = false);
  const std::vector<Tensor> wa = trained->get_weights(), wb = rebuilt->get_weights();
  for (std::size_t i = 0; i < wa.size(); ++i)
    expect_close(values_of(wb[i]), values_of(wa[i]), 1e-6);
}

TEST(SaveLoad, UncompiledAndWithoutOptimizerState) {
  keras::clear_session();
  const TempDir dir;
  keras::Sequential model({keras::Input({3}), layers::Dense(2)});
  model.save(dir / "plain");
  auto loaded = keras::load_model(dir / "plain");
  EXPECT_FALSE(loaded->compiled());
  expect_same_outputs(model, *loaded, ones({2, 3}));

  model.compile(_optimizer = "sgd", _loss = "mse");
  model.fit(ones({4, 3}), zeros({4, 2}), _epochs = 1, _verbose = 0);
  model.save(dir / "fresh_optimizer", _include_optimizer = false);
  auto restarted = keras::load_model(dir / "fresh_optimizer");
  ASSERT_TRUE(restarted->compiled());
  EXPECT_EQ(restarted->optimizer().iterations(), 0);
  auto uncompiled = keras::load_model(dir / "fresh_optimizer", _compile = false);
  EXPECT_FALSE(uncompiled->compiled());
}

TEST(SaveLoad, CustomModelsNeedTheirFactory) {
  keras::clear_session();
  const TempDir dir;
  auto model = keras::make<NeuralNetwork>(std::vector<std::int64_t>{8, 3});
  EXPECT_THROW(model->save(dir / "unbuilt"), Error) << "no weights before the first call";
  const Tensor x = random::Generator(3).uniform({4, 5});
  model(x);
  model->compile(_optimizer = "rmsprop", _loss = "mse");
  model->save(dir / "custom");
  EXPECT_NE(read_text(dir / "custom/config.json").find("\"NeuralNetwork\""), std::string::npos);

  try {
    keras::load_model(dir / "custom");
    FAIL() << "an unregistered custom model loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("NeuralNetwork"), std::string::npos) << e.what();
  }
  auto loaded = keras::load_model(dir / "custom",
                                  _custom_objects = {{"NeuralNetwork", neural_network_factory()}});
  auto* typed = dynamic_cast<NeuralNetwork*>(loaded.get());
  ASSERT_NE(typed, nullptr);
  EXPECT_EQ(typed->units, (std::vector<std::int64_t>{8, 3}));
  expect_same_outputs(*model, *loaded, x);

  // The lesson's point: the saved config decides, not the class the caller hoped for.
  auto linear = [](const keras::Config&) -> keras::LayerHandle {
    return keras::make<NeuralNetwork>(std::vector<std::int64_t>{8, 3}, "linear");
  };
  auto loaded_again =
      keras::load_model(dir / "custom", _custom_objects = {{"NeuralNetwork", linear}});
  EXPECT_EQ(dynamic_cast<NeuralNetwork*>(loaded_again.get())->activation, "linear");
  keras::register_layer<NeuralNetwork>("NeuralNetwork");
  auto registered = keras::load_model(dir / "custom");
  expect_same_outputs(*model, *registered, x);
}

TEST(SaveLoad, MetricObjectsKeepTheirArguments) {
  keras::clear_session();
  const TempDir dir;
  keras::Sequential model({keras::Input({4}), layers::Dense(3, _activation = "softmax")});
  model.compile(_optimizer = optim::SGD(_learning_rate = optim::ExponentialDecay(
                                            _initial_learning_rate = 0.1, _decay_steps = 3)),
                _loss = losses::CategoricalCrossentropy(_label_smoothing = 0.1),
                _metrics = {metrics::Precision(_thresholds = {0.3, 0.7}, _class_id = 1),
                            metrics::Recall(_top_k = 2, _name = "recall_at_2"),
                            metrics::AUC(_num_thresholds = 50, _curve = "PR"),
                            metrics::BinaryAccuracy(_threshold = 0.4)},
                _weighted_metrics = {"mae"});
  const Tensor x = random::Generator(1).normal({12, 4});
  const Tensor y =
      one_hot(random::Generator(2).uniform({12}, _minval = 0, _maxval = 3, _dtype = int32), 3);
  model.fit(x, y, _batch_size = 4, _epochs = 1, _verbose = 0);
  model.save(dir / "metrics");
  const nlohmann::json config = nlohmann::json::parse(read_text(dir / "metrics/config.json"));
  const nlohmann::json& metrics = config["compile_config"]["metrics"];
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0]["config"]["thresholds"], nlohmann::json::parse("[0.3, 0.7]"));
  EXPECT_EQ(metrics[0]["config"]["class_id"], 1);
  EXPECT_EQ(metrics[1]["config"]["top_k"], 2);
  EXPECT_EQ(metrics[2]["config"]["curve"], "PR");
  EXPECT_EQ(config["compile_config"]["loss"]["config"]["label_smoothing"], 0.1);
  auto loaded = keras::load_model(dir / "metrics");
  const keras::Logs before = model.evaluate(x, y, _verbose = 0);
  const keras::Logs after = loaded->evaluate(x, y, _verbose = 0);
  ASSERT_EQ(after.entries().size(), before.entries().size());
  for (std::size_t i = 0; i < before.entries().size(); ++i) {
    EXPECT_EQ(after.entries()[i].first, before.entries()[i].first);
    EXPECT_NEAR(after.entries()[i].second, before.entries()[i].second, 1e-6)
        << before.entries()[i].first;
  }
  // The schedule continues from the saved step: 0.1 · 0.96^(3 / 3) after 3 steps.
  EXPECT_NEAR(loaded->optimizer().learning_rate(), 0.1 * 0.96, 1e-12);
}

TEST(SaveLoad, UnsavableCompileArgumentsLeaveTheModelUncompiled) {
  keras::clear_session();
  const TempDir dir;
  keras::Sequential model({keras::Input({2}), layers::Dense(1)});
  model.compile(_optimizer = optim::SGD(_learning_rate =
                                            optim::LearningRate([](std::int64_t) { return 0.1; })),
                _loss = "mse");
  model.save(dir / "callable_schedule");  // warns: a C++ callable has no config
  auto loaded = keras::load_model(dir / "callable_schedule");
  EXPECT_FALSE(loaded->compiled());
  expect_same_outputs(model, *loaded, ones({1, 2}));
}

/// Lesson 15's loss, with the get_config/from_config pair that lets it be saved (Keras' rule).
struct MyLoss : losses::Loss {
  double alpha, beta;
  MyLoss(double alpha, double beta) : Loss({.name = "my_loss"}), alpha(alpha), beta(beta) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return reduce_mean(square(alpha * y_true - beta * y_pred), {-1});
  }
  keras::Config get_config() const override {
    keras::Config config = Loss::get_config();
    config["alpha"] = alpha;
    config["beta"] = beta;
    return config;
  }
  static MyLoss from_config(const keras::Config& c) {
    return MyLoss(c.at("alpha").get<double>(), c.at("beta").get<double>());
  }
};

/// A user metric with its own state and argument: the largest |y_pred - y_true| above `floor`.
struct MaxError : metrics::Metric {
  double floor;
  Variable largest;
  explicit MaxError(double floor, std::string name = "max_error")
      : Metric(std::move(name)), floor(floor) {
    largest = add_weight("largest");
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& = {}) override {
    largest.assign(
        maximum(largest.value(), maximum(reduce_max(abs(y_pred - y_true)), constant(floor))));
  }
  Tensor result() const override { return largest.value(); }
  keras::Config get_config() const override {
    keras::Config config = Metric::get_config();
    config["floor"] = floor;
    return config;
  }
  static MaxError from_config(const keras::Config& c) {
    return MaxError(c.at("floor").get<double>(), c.at("name").get<std::string>());
  }
};

TEST(SaveLoad, UserLossesMetricsAndFunctionsComeBackThroughCustomObjects) {
  keras::clear_session();
  const TempDir dir;
  keras::Sequential model({keras::Input({3}), layers::Dense(2)});
  model.compile(_optimizer = "adam", _loss = MyLoss(0.4, 0.5),
                _metrics = {MaxError(0.25), metrics::MetricRef(squared_error, "squared_error")});
  const Tensor x = random::Generator(4).normal({8, 3});
  const Tensor y = random::Generator(5).normal({8, 2});
  model.fit(x, y, _batch_size = 4, _epochs = 1, _verbose = 0);
  model.save(dir / "custom_compile");
  // Keras' layout: classes by class name and config, functions by name.
  const nlohmann::json compile =
      nlohmann::json::parse(read_text(dir / "custom_compile/config.json"))["compile_config"];
  EXPECT_EQ(compile["loss"]["class_name"], "MyLoss");
  EXPECT_EQ(compile["loss"]["config"]["alpha"], 0.4);
  EXPECT_EQ(compile["metrics"][0]["class_name"], "MaxError");
  EXPECT_EQ(compile["metrics"][1],
            (nlohmann::json{{"class_name", "function"}, {"config", "squared_error"}}));

  // Without them: an error that names the class and the way out (as Keras' "Could not locate").
  for (const char* needed : {"MyLoss", "custom_objects", "compile = false"}) {
    try {
      keras::load_model(dir / "custom_compile");
      FAIL() << "loaded a user's loss without its factory";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needed), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("custom_compile"), std::string::npos) << e.what();
    }
  }
  EXPECT_FALSE(keras::load_model(dir / "custom_compile", _compile = false)->compiled());
  // The wrong kind of object under a name is an error too.
  EXPECT_THROW(
      keras::load_model(dir / "custom_compile", _custom_objects = {{"MyLoss", squared_error}}),
      Error);

  const keras::CustomObjects objects = {{"MyLoss", keras::custom_object<MyLoss>()},
                                        {"MaxError", keras::custom_object<MaxError>()},
                                        {"squared_error", squared_error}};
  auto loaded = keras::load_model(dir / "custom_compile", _custom_objects = objects);
  ASSERT_TRUE(loaded->compiled());
  const keras::Logs logs = loaded->evaluate(x, y, _batch_size = 8, _verbose = 0);
  // The values written out in float64 from the loaded model's own predictions.
  const std::vector<double> p = values_of(loaded->predict(x, _verbose = 0)), t = values_of(y);
  double loss = 0, largest = 0.25, squared = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    loss += (0.4 * t[i] - 0.5 * p[i]) * (0.4 * t[i] - 0.5 * p[i]) / static_cast<double>(t.size());
    largest = std::max(largest, std::abs(p[i] - t[i]));
    squared += (p[i] - t[i]) * (p[i] - t[i]) / static_cast<double>(t.size());
  }
  EXPECT_NEAR(logs["loss"], loss, 1e-5);
  EXPECT_NEAR(logs["max_error"], largest, 1e-5);
  EXPECT_NEAR(logs["squared_error"], squared, 1e-5);

  // Registered once, they serve every load.
  keras::register_object<MyLoss>("MyLoss");
  keras::register_object<MaxError>("MaxError");
  keras::register_object("squared_error", squared_error);
  EXPECT_TRUE(keras::load_model(dir / "custom_compile")->compiled());
}

/// Values of the wrong JSON type or shape in config.json (#18): ember errors naming the file,
/// never nlohmann's or the standard library's exceptions.
TEST(SaveLoad, HostileConfigValuesAreEmberErrors) {
  keras::clear_session();
  const TempDir dir;
  auto inputs = keras::Input({3});
  keras::Model model(inputs, layers::Dense(2)(layers::Dense(4)(inputs)));
  model.compile(_optimizer = "sgd", _loss = "mse");
  model.save(dir / "good");
  const keras::Config good = keras::Config::parse(read_text(dir / "good/config.json"));
  const auto load_edited = [&](const std::function<void(keras::Config&)>& edit) {
    keras::Config edited = good;
    edit(edited);
    fs::remove_all(dir / "edited");
    fs::copy(dir / "good", dir / "edited");
    write_text(dir / "edited/config.json", edited.dump());
    keras::load_model(dir / "edited");
  };
  // `names`: the file, or the op that read it (Model.from_config).
  const auto expect_ember_error = [&](const char* what,
                                      const std::function<void(keras::Config&)>& edit,
                                      const char* names = "edited") {
    try {
      load_edited(edit);
      ADD_FAILURE() << what << ": loaded";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << what << ": " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": a non-ember exception: " << e.what();
    }
  };
  expect_ember_error("ember: -7", [](keras::Config& c) { c["ember"] = -7; });
  // A float past int64 where an integer belongs: converting it would be undefined behaviour.
  expect_ember_error(
      "units as a float past int64",
      [](keras::Config& c) {
        for (keras::Config& layer : c["config"]["layers"])
          if (layer["class_name"] == "Dense") layer["config"]["units"] = 2.2e29;
      },
      "Dense: units");
  // Sizes beyond any memory: refused when the config is read, before anything is built.
  for (const std::int64_t units : {std::int64_t{1} << 62, std::int64_t{1} << 40, std::int64_t{0}}) {
    expect_ember_error(
        "huge units",
        [&](keras::Config& c) {
          for (keras::Config& layer : c["config"]["layers"])
            if (layer["class_name"] == "Dense") layer["config"]["units"] = units;
        },
        ("Dense: units: " + std::to_string(units) + " is outside [1, 2^31 - 1]").c_str());
  }
  expect_ember_error("version: []",
                     [](keras::Config& c) { c["ember"]["version"] = keras::Config::array(); });
  expect_ember_error(
      "a null input connection",
      [](keras::Config& c) {
        for (keras::Config& layer : c["config"]["layers"]) {
          if (!layer["inbound_nodes"].empty()) layer["inbound_nodes"][0]["args"][0] = nullptr;
        }
      },
      "Model.from_config");
  expect_ember_error(
      "keras_history of numbers",
      [](keras::Config& c) {
        for (keras::Config& layer : c["config"]["layers"]) {
          if (!layer["inbound_nodes"].empty())
            layer["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = {1, 2, 3};
        }
      },
      "Model.from_config");
  expect_ember_error("steps_per_execution: text",
                     [](keras::Config& c) { c["compile_config"]["steps_per_execution"] = "x"; });
  expect_ember_error(
      "layers: {}",
      [](keras::Config& c) {
        c["config"]["layers"] = {{"a", 1}};
      },
      "Model.from_config");
}

TEST(SaveLoad, BrokenFoldersAndFilesAreErrorsThatNameThem) {
  keras::clear_session();
  const TempDir dir;
  keras::Sequential model({keras::Input({3}), layers::Dense(2)});
  EXPECT_THROW(keras::load_model(dir / "missing"), IoError);
  fs::create_directories(dir / "empty");
  EXPECT_THROW(keras::load_model(dir / "empty"), IoError);
  EXPECT_THROW(keras::load_model(dir / "missing.keras"),
               IoError);  // Keras' files: test_keras_files.cpp

  model.save(dir / "good");
  const std::string config = read_text(dir / "good/config.json");
  write_text(dir / "good/config.json", config.substr(0, config.size() / 2));
  try {
    keras::load_model(dir / "good");
    FAIL() << "truncated config accepted";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
  model.save(dir / "good");  // replaces the broken one
  const std::uintmax_t size = fs::file_size(dir / "good/model.safetensors");
  fs::resize_file(dir / "good/model.safetensors", size - 5);
  EXPECT_THROW(keras::load_model(dir / "good"), IoError);

  // Weights of another architecture.
  keras::Sequential other({keras::Input({3}), layers::Dense(4)});
  other.save(dir / "other");
  fs::copy_file(dir / "other/model.safetensors", dir / "good/model.safetensors",
                fs::copy_options::overwrite_existing);
  EXPECT_THROW(keras::load_model(dir / "good"), ShapeError);

  // Never replaces what is not a saved model, and honours overwrite = false.
  fs::create_directories(dir / "photos");
  write_text(dir / "photos/cat.jpg", "meow");
  EXPECT_THROW(model.save(dir / "photos"), IoError);
  EXPECT_EQ(read_text(dir / "photos/cat.jpg"), "meow");
  EXPECT_THROW(model.save(dir / "other", _overwrite = false), IoError);
  EXPECT_EQ(keras::load_model(dir / "other")->count_params(), 3 * 4 + 4);  // untouched

  // A save that fails leaves no staging folder behind.
  write_text(dir / "a_file", "x");
  EXPECT_THROW(model.save(dir / "a_file/model"), Error);
  for (const auto& entry : fs::directory_iterator(dir / "")) {
    EXPECT_EQ(entry.path().filename().string().find(".saving-"), std::string::npos) << entry.path();
  }
}
