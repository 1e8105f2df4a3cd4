// Lesson 15: a loss function (my_loss), a custom loss class (MyLoss with alpha and beta), a custom
// metric (CategoricalTruePositives, as the lesson writes it), and the lesson's autoencoder with a
// classifier head: one model, two outputs (the reconstructed image and the class), losses given
// as a list and by output name, loss weights, per-output metrics; trained on Fashion-MNIST, saved
// and loaded again with its custom loss and metric.
//
//   lesson15_multi_output [--rows N] [--epochs N]
//
// One fix to the lesson's graph: the encoder ends in a 1x1x64 map, so the class head gets a
// Flatten (Keras 3 rejects (batch, 1, 1, 10) predictions against (batch, 10) targets).
#include <cstring>
#include <filesystem>
#include <iostream>

#include "ember.h"

using namespace ember;

// The lesson's loss function: compile takes it as `_loss = my_loss`.
Tensor my_loss(const Tensor& y_true, const Tensor& y_pred) {
  return reduce_mean(square(y_true - y_pred));
}

// The lesson's loss class: loss = mean((alpha·y_true - beta·y_pred)²).
struct MyLoss : losses::Loss {
  double alpha, beta;
  explicit MyLoss(double alpha = 1.0, double beta = 1.0)
      : Loss({.name = "my_loss"}), alpha(alpha), beta(beta) {}
  Tensor call(const Tensor& y_true, const Tensor& y_pred) const override {
    return reduce_mean(square(alpha * y_true - beta * y_pred));
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

// The lesson's duplicate of accuracy, as it writes it: class indices in y_true, the argmax of
// y_pred, the share that match averaged per batch; one state from add_weight, one a Variable.
struct CategoricalTruePositives : metrics::Metric {
  Variable true_positives;
  Variable count{constant(0.0f)};  // the lesson's self.count = tf.Variable(0.0)

  explicit CategoricalTruePositives(std::string name = "my_metric") : Metric(std::move(name)) {
    true_positives = add_weight("acc", {}, "zeros");
  }
  void update_state(const Tensor& y_true_in, const Tensor& y_pred_in,
                    const Tensor& sample_weight_in = {}) override {
    const Tensor y_pred = reshape(argmax(y_pred_in, 1), {-1, 1});
    const Tensor y_true = reshape(y_true_in, {-1, 1});
    Tensor values = cast(y_true, "int32") == cast(y_pred, "int32");
    values = cast(values, "float32");
    if (sample_weight_in.defined()) {
      const Tensor sample_weight = reshape(cast(sample_weight_in, "float32"), {-1, 1});
      values = multiply(values, sample_weight);
    }
    true_positives.assign_add(reduce_mean(values));
    count.assign_add(1.0);
  }
  Tensor result() const override { return true_positives / count; }
  // The lesson's reset_states (Keras 3 and ember call it reset_state).
  void reset_state() override {
    true_positives.assign(0.0);
    count.assign(0.0);
  }
  static CategoricalTruePositives from_config(const keras::Config& c) {
    return CategoricalTruePositives(c.at("name").get<std::string>());
  }
};

keras::Model autoencoder_with_classifier() {
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
  return keras::Model(enc_input, {dec_output, class_output});
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

  // The custom losses and metric on their own.
  const MyLoss loss_object(0.4, 0.5);
  const Tensor same = constant({{1.0f, 2.0f}});
  std::cout << "my_loss([[1, 2]], [[0, 0]]) = " << my_loss(same, zeros({1, 2})).item<float>()
            << "  ((1 + 4) / 2 = 2.5)\n"
            << "MyLoss(0.4, 0.5)([[1, 2]], [[1, 2]]) = " << loss_object(same, same).item<float>()
            << "  (((0.4-0.5)·1)² + ((0.4-0.5)·2)²) / 2 = 0.025\n";
  CategoricalTruePositives true_positives;
  true_positives.update_state(constant({0, 2}), constant({{0.9f, 0.1f, 0.0f}, {0.2f, 0.7f, 0.1f}}));
  std::cout << "CategoricalTruePositives on labels [0, 2]: "
            << true_positives.result().item<float>() << "  (1 of 2 rows)\n";

  auto [train, test] = io::datasets::fashion_mnist::load_data();
  auto [x_train_raw, y_train_labels] = train;
  auto [x_test_raw, y_test_labels] = test;
  const Tensor x_train =
      reshape(cast(x_train_raw, float32) / 255.0f, {-1, 28, 28, 1}).slice(0, rows);
  const Tensor x_test = reshape(cast(x_test_raw, float32) / 255.0f, {-1, 28, 28, 1});
  const Tensor y_train = utils::to_categorical(y_train_labels, 10).slice(0, rows);
  const Tensor y_test = utils::to_categorical(y_test_labels, 10);
  const Tensor labels_train = y_train_labels.slice(0, rows);

  keras::Model model = autoencoder_with_classifier();
  model.summary();

  // Losses as a list (one per output), loss weights; the metric for the class output (a flat list
  // on two outputs is an error in Keras 3, as here).
  model.compile(_optimizer = optim::Adam(_learning_rate = 0.01),
                _loss = {"mean_squared_error", "categorical_crossentropy"},
                _metrics = {{"class_output", {metrics::CategoricalAccuracy()}}},
                _loss_weights = {0.5, 1.4});
  // Two training outputs too.
  model.fit(x_train, {x_train, y_train}, _epochs = epochs, _batch_size = 64, _verbose = 2);

  // Or by output name: MyLoss for the image; the class head with our metric and accuracy. The
  // lesson's metric reads class indices (it reshapes y_true to a column), so this head trains on
  // the labels themselves, with the sparse cross-entropy.
  model.compile(
      _optimizer = optim::Adam(_learning_rate = 0.001),
      _loss = {{"dec_output", MyLoss(0.4, 0.5)},
               {"class_output", "sparse_categorical_crossentropy"}},
      _metrics = {{"dec_output", {}}, {"class_output", {"acc", CategoricalTruePositives()}}});
  // Each output's loss and metrics as TensorBoard curves: tensorboard --logdir <folder>/logs
  std::vector<callbacks::CallbackRef> used;
  const auto logs = std::filesystem::weakly_canonical(argv[0]).parent_path() / "logs" / "lesson15";
  if (summary::available()) {
    std::filesystem::remove_all(logs);
    used.push_back(callbacks::TensorBoard(logs.string(), _update_freq = "batch"));
    std::cout << "TensorBoard: tensorboard --logdir " << logs.parent_path().string() << "\n";
  }
  const keras::History history = model.fit(
      x_train, {{"dec_output", x_train}, {"class_output", labels_train}}, _epochs = epochs,
      _batch_size = 64, _verbose = 2, _validation_split = 0.1, _callbacks = used);
  std::cout << "history keys:";
  for (const auto& [key, values] : history.history) std::cout << " " << key;
  std::cout << "\n";

  const keras::Logs result = model.evaluate(x_test, {x_test, y_test_labels}, _verbose = 0);
  std::cout << "test: " << result.to_string() << "\n";

  // Saved with its custom loss and metric (lesson 16), the model comes back compiled when
  // load_model is told how to make them, as Keras' custom_objects={"MyLoss": MyLoss, ...}.
  model.save("runs/lesson15");
  auto loaded = keras::load_model(
      "runs/lesson15", _custom_objects = {{"MyLoss", keras::custom_object<MyLoss>()},
                                          {"CategoricalTruePositives",
                                           keras::custom_object<CategoricalTruePositives>()}});
  std::cout << "loaded from runs/lesson15: "
            << loaded->evaluate(x_test, {x_test, y_test_labels}, _verbose = 0).to_string() << "\n";
  return 0;
}
