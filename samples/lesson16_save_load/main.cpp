// Lesson 16: saving and loading models, as
//
//   model.save("save/path/model");  model = tf.keras.models.load_model("save/path/model")
//   model.to_json();  tf.keras.models.model_from_json(json)
//   model2.set_weights(model.get_weights());  model.save_weights(p);  model2.load_weights(p)
//   model.save("model.h5")   (Keras' HDF5 file; .keras archives too)
//
// A Fashion-MNIST classifier is trained, saved (architecture, weights, compile() arguments,
// optimizer state), loaded and trained on from where it stopped; a custom model comes back
// through its get_config/from_config, and custom_objects gives another class the saved name (the
// lesson's NeuralNetworkLinear: the saved config decides, unless get_config saved the units
// alone); the architecture alone travels as JSON.
//
//   lesson16_save_load [--dir runs/lesson16] [--rows N]
#include <cstring>
#include <iostream>

#include "ember.h"

using namespace ember;

// The lesson's custom model: Dense layers of the given widths. C++ cannot make a class from its
// name, so from_config() says how (load_model finds it through custom_objects, or
// keras::register_layer<NeuralNetwork>("NeuralNetwork")); get_config() says what it needs. Like
// Keras' default config, which holds every layer's, this one holds the activation too.
struct NeuralNetwork : keras::Model {
  std::vector<std::int64_t> units;
  std::string activation;
  std::vector<keras::Handle<layers::DenseLayer>> model_layers;

  explicit NeuralNetwork(std::vector<std::int64_t> units_in, std::string activation_in = "relu")
      : units(std::move(units_in)), activation(std::move(activation_in)) {
    for (std::int64_t n : units) model_layers.push_back(layers::Dense(n, _activation = activation));
  }
  Tensor call(const Tensor& inputs) override {  // used when loading, too
    Tensor x = inputs;
    for (auto& layer : model_layers) x = layer(x);
    return x;
  }
  keras::Config get_config() const override {
    keras::Config config = keras::Model::get_config();  // name, trainable, dtype
    config["units"] = units;
    config["activation"] = activation;
    return config;
  }
  // load_model owns what it makes: a factory returns a handle.
  static keras::Handle<NeuralNetwork> from_config(const keras::Config& config) {
    return keras::make<NeuralNetwork>(config.at("units").get<std::vector<std::int64_t>>(),
                                      config.value("activation", std::string("relu")));
  }
};

// The lesson's NeuralNetworkLinear: the same network, linear unless its config says otherwise.
struct NeuralNetworkLinear : NeuralNetwork {
  explicit NeuralNetworkLinear(std::vector<std::int64_t> units_in,
                               std::string activation_in = "linear")
      : NeuralNetwork(std::move(units_in), std::move(activation_in)) {}
  static keras::Handle<NeuralNetworkLinear> from_config(
      const keras::Config& config) {  // cls(**config)
    return keras::make<NeuralNetworkLinear>(config.at("units").get<std::vector<std::int64_t>>(),
                                            config.value("activation", std::string("linear")));
  }
};

// The lesson's fix: get_config() says only what the constructor needs ({"units": self.units}),
// so the class that loads it decides the rest.
struct UnitsNetwork : NeuralNetwork {
  using NeuralNetwork::NeuralNetwork;
  keras::Config get_config() const override {
    keras::Config config = keras::Model::get_config();
    config["units"] = units;
    return config;
  }
};

int main(int argc, char** argv) {
  std::string dir = "runs/lesson16";
  std::int64_t rows = 20000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--dir") == 0)
      dir = argv[++i];
    else if (std::strcmp(argv[i], "--rows") == 0)
      rows = std::atoll(argv[++i]);
  }
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);

  auto [train, test] = io::datasets::fashion_mnist::load_data();
  rows = std::min<std::int64_t>(rows, train.first.shape(0));
  const Tensor x_train =
      reshape(utils::rescale(train.first.slice(0, rows), 1.0 / 255), {-1, 28 * 28});
  const Tensor y_train = utils::to_categorical(train.second.slice(0, rows), 10);
  const Tensor x_test = reshape(utils::rescale(test.first, 1.0 / 255), {-1, 28 * 28});
  const Tensor y_test = utils::to_categorical(test.second, 10);

  // --- the whole model: architecture + weights + compile() + optimizer state --------------------
  keras::Sequential model({keras::Input({784}), layers::Dense(128, _activation = "relu"),
                           layers::Dense(10, _activation = "softmax")});
  model.compile(_optimizer = optim::Adam(_learning_rate = 0.001),
                _loss = "categorical_crossentropy", _metrics = {"accuracy"});
  model.fit(x_train, y_train, _batch_size = 32, _epochs = 1, _verbose = 2);
  model.save(dir + "/model");
  std::cout << "saved " << dir << "/model: config.json + model.safetensors\n";

  auto loaded = keras::load_model(dir + "/model");
  const double original = model.evaluate(x_test, y_test, _verbose = 0)["accuracy"];
  const double restored = loaded->evaluate(x_test, y_test, _verbose = 0)["accuracy"];
  std::cout << "test accuracy: trained " << original * 100 << " %, loaded " << restored * 100
            << " %\n";
  std::cout << "loaded optimizer: " << loaded->optimizer().class_name() << " after "
            << loaded->optimizer().iterations() << " steps; training goes on:\n";
  loaded->fit(x_train, y_train, _batch_size = 32, _epochs = 1, _verbose = 2);
  std::cout << "test accuracy after one more epoch: "
            << loaded->evaluate(x_test, y_test, _verbose = 0)["accuracy"] * 100 << " %\n";

  // --- Keras' own files: model.save("model.h5") (the old single-file format) and .keras ---------
  if (io::hdf5_available()) {
    model.save(dir + "/model.h5");
    model.save(dir + "/model.keras");
    model.save_weights(dir + "/model.weights.h5");
    auto from_h5 = keras::load_model(dir + "/model.h5");
    const double h5_accuracy = from_h5->evaluate(x_test, y_test, _verbose = 0)["accuracy"];
    std::cout << "\nsaved model.h5, model.keras, model.weights.h5 (Keras' formats: Keras loads "
                 "them too); "
              << "model.h5 loads with test accuracy " << h5_accuracy * 100 << " % and "
              << from_h5->optimizer().class_name() << " at step "
              << from_h5->optimizer().iterations()
              << " (Keras 3 keeps the optimizer in .h5 too; the lesson's older Keras did not)\n";
    // For tests/golden/keras_reads_ember.py: Keras must predict these from the three files.
    io::save_npy(dir + "/keras_check_x.npy", x_test.slice(0, 8));
    io::save_npy(dir + "/keras_check_y.npy", model.predict(x_test.slice(0, 8), _verbose = 0));
  } else {
    std::cout
        << "\nmodel.h5 / model.keras: this ember was built without HDF5 (install libhdf5-dev)\n";
  }

  // --- a custom model, and custom_objects --------------------------------------------------------
  NeuralNetwork custom({128, 10});
  const Tensor some = x_test.slice(0, 4);
  const Tensor custom_out = custom(some);  // weights exist after the first call
  custom.save(dir + "/custom");
  const auto describe = [&](const char* what, keras::Model& loaded, const Tensor& saved_out) {
    const bool same = reduce_max(abs(loaded(some) - saved_out)).item<float>() == 0.0f;
    std::cout << what << ": " << loaded.class_name() << " with activation \""
              << dynamic_cast<NeuralNetwork&>(loaded).activation << "\", outputs "
              << (same ? "the same as" : "unlike") << " the saved model's\n";
  };
  std::cout << "\n";
  // custom_objects={"NeuralNetwork": NeuralNetwork}; a lambda (const keras::Config&) -> model
  // does too.
  describe("loaded as NeuralNetwork",
           *keras::load_model(
               dir + "/custom",
               _custom_objects = {{"NeuralNetwork", keras::custom_object<NeuralNetwork>()}}),
           custom_out);
  // The lesson's NeuralNetworkLinear under the saved name: still relu, as the save says.
  describe("loaded as NeuralNetworkLinear",
           *keras::load_model(
               dir + "/custom",
               _custom_objects = {{"NeuralNetwork", keras::custom_object<NeuralNetworkLinear>()}}),
           custom_out);
  // With the lesson's get_config, which saves the units alone, the class that loads decides.
  UnitsNetwork units_only({128, 10});
  const Tensor units_only_out = units_only(some);
  units_only.save(dir + "/units_only");
  describe("saved with get_config() = {units}, loaded as NeuralNetworkLinear",
           *keras::load_model(
               dir + "/units_only",
               _custom_objects = {{"UnitsNetwork", keras::custom_object<NeuralNetworkLinear>()}}),
           units_only_out);

  // --- the architecture alone, as JSON -----------------------------------------------------------
  const std::string json = model.to_json();
  auto clone = keras::model_from_json(json);  // new weights
  std::cout << "\nto_json: " << json.size() << " characters; model_from_json gives "
            << clone->count_params() << " parameters, freshly initialised\n";

  // --- weights alone
  // ------------------------------------------------------------------------------
  clone->set_weights(model.get_weights());  // model2.set_weights(model.get_weights())
  model.save_weights(dir + "/weights.safetensors");
  auto model2 = keras::model_from_json(json);
  model2->load_weights(dir + "/weights.safetensors");
  const Tensor p = model.predict(x_test.slice(0, 8), _verbose = 0);
  std::cout
      << "clone and model2 predict as the model: " << std::boolalpha
      << (reduce_max(abs(clone->predict(x_test.slice(0, 8), _verbose = 0) - p)).item<float>() ==
          0.0f)
      << ", "
      << (reduce_max(abs(model2->predict(x_test.slice(0, 8), _verbose = 0) - p)).item<float>() ==
          0.0f)
      << "\n";
  return 0;
}
