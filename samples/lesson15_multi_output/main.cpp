// Lesson 15: a custom loss class (MyLoss with alpha and beta), a custom metric
// (CategoricalTruePositives, state made with add_weight), and the lesson's autoencoder with a
// classifier head: one model, two outputs (the reconstructed image and the class), losses given
// as a list and by output name, loss weights, per-output metrics; trained on Fashion-MNIST, saved
// and loaded again with its custom loss and metric.
//
//   lesson15_multi_output [--rows N] [--epochs N]
//
// One fix to the lesson's graph: the encoder ends in a 1x1x64 map, so the class head gets a
// Flatten (Keras 3 rejects (batch, 1, 1, 10) predictions against (batch, 10) targets).
#include <cstring>
#include <iostream>

#include "ember.h"

using namespace ember;

// loss = mean((alpha·y_true - beta·y_pred)²) over the last axis.
struct MyLoss : losses::Loss {
  double alpha, beta;
  explicit MyLoss(double alpha = 1.0, double beta = 1.0)
      : Loss({.name = "my_loss"}), alpha(alpha), beta(beta) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return reduce_mean(square(alpha * y_true - beta * y_pred), {-1});
  }
  // What a saved model needs to compile again with this loss (lesson 16): the arguments out...
  keras::Config get_config() const override {
    keras::Config config = Loss::get_config();
    config["alpha"] = alpha;
    config["beta"] = beta;
    return config;
  }
  // ...and back in (Keras' default from_config is cls(**config)).
  static MyLoss from_config(const keras::Config& c) {
    return MyLoss(c.at("alpha").get<double>(), c.at("beta").get<double>());
  }
};

// The lesson's duplicate of accuracy: the share of rows whose argmax matches, averaged per batch.
struct CategoricalTruePositives : metrics::Metric {
  Variable true_positives, count;
  explicit CategoricalTruePositives(std::string name = "my_metric") : Metric(std::move(name)) {
    true_positives = add_weight("acc");
    count = add_weight("count");
  }
  void update_state(const Tensor& y_true, const Tensor& y_pred,
                    const Tensor& sample_weight = {}) override {
    // values = tf.cast(y_true, "int32") == tf.cast(y_pred, "int32") on the class indices.
    Tensor values =
        cast(cast(argmax(y_true, 1), "int32") == cast(argmax(y_pred, 1), "int32"), float32);
    if (sample_weight.defined()) values = values * cast(sample_weight, float32);
    true_positives.assign_add(reduce_mean(values));
    count.assign_add(1.0);
  }
  Tensor result() const override { return true_positives.value() / count.value(); }
  void reset_state() override {
    true_positives.assign(0.0);
    count.assign(0.0);
  }
  static CategoricalTruePositives from_config(const keras::Config& c) {
    return CategoricalTruePositives(c.at("name").get<std::string>());
  }
};

keras::Handle<keras::Model> autoencoder_with_classifier() {
  auto enc_input = keras::Input({28, 28, 1});
  auto x = layers::Conv2D(32, 3, _activation = "relu")(enc_input);
  x = layers::MaxPooling2D(2, _padding = "same")(x);
  x = layers::Conv2D(64, 4, _activation = "relu")(x);
  x = layers::MaxPooling2D(2, _padding = "same")(x);
  x = layers::Conv2D(64, 4, _activation = "relu")(x);
  x = layers::MaxPooling2D(2, _padding = "same")(x);
  auto hidden_output = layers::Dense(8, _activation = "linear")(layers::Flatten()(x));

  x = layers::Dense(7 * 7 * 8, _activation = "relu")(hidden_output);
  x = layers::Reshape({7, 7, 8})(x);
  x = layers::Conv2DTranspose(64, 2, _strides = 2, _activation = "relu", _padding = "same")(x);
  x = layers::BatchNormalization()(x);
  x = layers::Conv2DTranspose(64, 2, _strides = 2, _activation = "linear", _padding = "same")(x);
  x = layers::BatchNormalization()(x);
  auto dec_output = layers::Conv2DTranspose(1, 3, _activation = "sigmoid", _padding = "same",
                                            _name = "dec_output")(x);

  auto x2 = layers::Dense(128, _activation = "relu")(hidden_output);
  auto class_output = layers::Dense(10, _activation = "softmax", _name = "class_output")(x2);
  return keras::make<keras::Model>(enc_input,
                                   std::vector<keras::KerasTensor>{dec_output, class_output});
}

int main(int argc, char** argv) {
  std::int64_t rows = 6000;  // the CPU trains a subset in seconds; a GPU takes all 60000
  int epochs = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0)
      rows = std::atoll(argv[++i]);
    else if (std::strcmp(argv[i], "--epochs") == 0)
      epochs = std::atoi(argv[++i]);
  }
  if (cuda_available() && rows == 6000) rows = 60000;
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);

  // The custom loss and metric on their own.
  const MyLoss my_loss(0.4, 0.5);
  std::cout << "MyLoss(0.4, 0.5)([[1, 2]], [[1, 2]]) = "
            << my_loss(constant({{1.0f, 2.0f}}), constant({{1.0f, 2.0f}})).item<float>()
            << "  (((0.4-0.5)·1)² + "
            << "((0.4-0.5)·2)²) / 2 = 0.025\n";

  auto [train, test] = io::datasets::fashion_mnist::load_data();
  const Tensor x_train =
      reshape(utils::rescale(train.first, 1.0 / 255), {-1, 28, 28, 1}).slice(0, rows);
  const Tensor y_train = utils::to_categorical(train.second, 10).slice(0, rows);
  const Tensor x_test = reshape(utils::rescale(test.first, 1.0 / 255), {-1, 28, 28, 1});
  const Tensor y_test = utils::to_categorical(test.second, 10);

  auto model = autoencoder_with_classifier();
  model->summary();

  // Losses as a list (one per output), loss weights, one metric for every output.
  model->compile(_optimizer = optim::Adam(_learning_rate = 0.01),
                 _loss = {"mean_squared_error", "categorical_crossentropy"},
                 _loss_weights = {0.5, 1.4}, _metrics = {metrics::CategoricalAccuracy()});
  model->fit(x_train, {x_train, y_train}, _batch_size = 64, _epochs = epochs, _verbose = 2);

  // Or by output name: our loss for the image, our metric and accuracy for the class.
  model->compile(
      _optimizer = optim::Adam(_learning_rate = 0.001),
      _loss = {{"dec_output", MyLoss(1.0, 1.0)}, {"class_output", "categorical_crossentropy"}},
      _loss_weights = {{"dec_output", 0.5}, {"class_output", 1.4}},
      _metrics = {{"dec_output", {}}, {"class_output", {"acc", CategoricalTruePositives()}}});
  const keras::History history =
      model->fit(x_train, {{"dec_output", x_train}, {"class_output", y_train}}, _batch_size = 64,
                 _epochs = epochs, _verbose = 2, _validation_split = 0.1);
  std::cout << "history keys:";
  for (const auto& [key, values] : history.history) std::cout << " " << key;
  std::cout << "\n";

  const keras::Logs result = model->evaluate(x_test, {x_test, y_test}, _verbose = 0);
  std::cout << "test: " << result.to_string() << "\n";

  // Saved with its custom loss and metric (lesson 16), the model comes back compiled when
  // load_model is told how to make them, as Keras' custom_objects={"MyLoss": MyLoss, ...}.
  model->save("runs/lesson15");
  auto loaded = keras::load_model(
      "runs/lesson15", _custom_objects = {{"MyLoss", keras::custom_object<MyLoss>()},
                                          {"CategoricalTruePositives",
                                           keras::custom_object<CategoricalTruePositives>()}});
  std::cout << "loaded from runs/lesson15: "
            << loaded->evaluate(x_test, {x_test, y_test}, _verbose = 0).to_string() << "\n";
  return 0;
}
