// Lesson 13: the lesson's toy ResNet (functional API, two residual blocks joined by layers::add)
// trained on CIFAR-10 with compile / fit: Adam, sparse categorical cross-entropy, accuracy,
// random flips and shifts (image:: ops in a Dataset map), a validation split, EarlyStopping on
// val_accuracy; then the test accuracy. On a GPU it trains on all 50000 images; on a CPU a
// short run on a subset shows the same program working (--train N, --epochs N to change).
//
//   lesson13_resnet_cifar10 [--limit N] [--epochs N] [--batch N] [--data DIR] [--policy NAME]
//
// --limit: how many training images to use (all 50000 on a GPU by default, 10000 on a CPU).
// --policy: a Keras dtype policy, e.g. mixed_bfloat16 (bfloat16 convolutions and matmuls on AMX
// or AVX-512 BF16 processors and on tensor cores) or mixed_float16 (with loss scaling, which
// compile adds by itself): the one line keras::mixed_precision::set_global_policy(NAME) below.
//
// CIFAR-10 as keras.datasets.cifar10.load_data() gets it: from --data DIR or $EMBER_DATA/cifar10
// when given, else from the cache (~/.ember/datasets), downloaded there once from Keras' origin.
// Exits with status 3 when no CIFAR-10 can be had (scripts/demo then tries its other sources).
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "ember.h"

using namespace ember;

keras::Model toy_resnet() {
  auto inputs = keras::Input({32, 32, 3}, _name = "img");
  auto x = layers::Conv2D(32, 3, _activation = "relu")(inputs);
  x = layers::Conv2D(64, 3, _activation = "relu")(x);
  auto block_1_output = layers::MaxPooling2D(3)(x);

  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_1_output);
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(x);
  auto block_2_output = layers::add({x, block_1_output});  // the shortcut: main path + bypass

  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_2_output);
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(x);
  auto block_3_output = layers::add({x, block_2_output});

  x = layers::Conv2D(64, 3, _activation = "relu")(block_3_output);
  x = layers::GlobalAveragePooling2D()(x);  // the mean of each feature map: (batch, channels)
  x = layers::Dense(256, _activation = "relu")(x);
  x = layers::Dropout(0.5)(x);  // drops half the units while training
  // The output in float32 whatever the policy, as Keras' mixed-precision guide advises: a
  // softmax in 16 bits loses its small probabilities.
  auto outputs = layers::Dense(10, _activation = "softmax", _dtype = "float32")(x);
  return keras::Model(inputs, outputs, "toy_resnet");
}

int main(int argc, char** argv) {
  const bool gpu = cuda_available();
  std::int64_t train_rows = gpu ? 50000 : 10000, batch = 64;
  int epochs = gpu ? 15 : 3;
  std::string data_dir, policy = "float32";
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--limit") == 0 || std::strcmp(argv[i], "--train") == 0)
      train_rows = std::atoll(argv[++i]);
    else if (std::strcmp(argv[i], "--epochs") == 0)
      epochs = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--batch") == 0)
      batch = std::atoll(argv[++i]);
    else if (std::strcmp(argv[i], "--data") == 0)
      data_dir = argv[++i];
    else if (std::strcmp(argv[i], "--policy") == 0)
      policy = argv[++i];
  }
  keras::mixed_precision::set_global_policy(policy);  // before the layers are made
  std::cout << "device: " << default_device() << ", dtype policy " << policy << "\n";
  random::set_seed(1);

  io::datasets::LoadedData data;
  try {
    data = io::datasets::cifar10::load_data(data_dir);
  } catch (const IoError& error) {  // no data set here: say where it comes from, not a crash
    std::cerr << "lesson13: " << error.what()
              << "\nCIFAR-10 is needed: connect to the network, or pass --data DIR (scripts/demo "
                 "also takes EMBER_CIFAR10_ARCHIVE or shared/data's JPEG copy)\n";
    return 3;
  }
  const char* ember_data = std::getenv("EMBER_DATA");
  std::cout << "CIFAR-10 from "
            << (!data_dir.empty() ? data_dir
                : ember_data != nullptr &&
                        std::filesystem::exists(std::string(ember_data) + "/cifar10")
                    ? std::string(ember_data) + "/cifar10"
                    : "the cache in " + utils::ember_home() + "/datasets (Keras' download)")
            << "\n";
  auto& [train, test] = data;
  train_rows = std::min(train_rows, train.first.shape(0));
  const Tensor x_train = utils::rescale(train.first, 1.0 / 255).slice(0, train_rows);
  const Tensor y_train = train.second.slice(0, train_rows);  // (N, 1) class indices
  const Tensor x_test = utils::rescale(test.first, 1.0 / 255);
  const Tensor y_test = test.second;
  std::cout << "training on " << train_rows << " images, testing on " << x_test.shape(0) << "\n";

  keras::Model model = toy_resnet();
  model.summary();
  model.compile(_optimizer = optim::Adam(_learning_rate = 1e-3),
                _loss = "sparse_categorical_crossentropy", _metrics = {"accuracy"});

  // The last 10% validate; the rest trains with random flips and shifts of up to 4 pixels. The
  // images go to the device once: batches are gathered and augmented there (on a GPU, without a
  // host copy per step); on the CPU a prefetch thread prepares the next batch meanwhile.
  const std::int64_t split = train_rows * 9 / 10;
  Dataset training =
      Dataset::from_tensor_slices({x_train.slice(0, split).to(default_device()),
                                   y_train.slice(0, split).to(default_device())})
          .shuffle(split)
          .batch(batch)
          .map([](const Dataset::Element& e) -> Dataset::Element {
            return {image::random_flip_left_right(image::random_crop_with_padding(e[0], 4)), e[1]};
          });
  if (!gpu) training = training.prefetch(2);
  const auto start = std::chrono::steady_clock::now();
  std::vector<callbacks::CallbackRef> callbacks_used = {callbacks::EarlyStopping(
      _monitor = "val_accuracy", _patience = 3, _verbose = 1, _restore_best_weights = true)};
  // The training curves and weight histograms for TensorBoard, replaced at every run:
  //   tensorboard --logdir <this program's folder>/logs
  const auto logs = std::filesystem::weakly_canonical(argv[0]).parent_path() / "logs" / "lesson13";
  if (summary::available()) {
    std::filesystem::remove_all(logs);
    callbacks_used.push_back(callbacks::TensorBoard(logs.string(), _histogram_freq = 1));
    std::cout << "TensorBoard: tensorboard --logdir " << logs.parent_path().string() << "\n";
  }
  const keras::History history = model.fit(
      training, _epochs = epochs, _verbose = 2, _callbacks = callbacks_used,
      _validation_data = {x_train.slice(split, train_rows), y_train.slice(split, train_rows)});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const keras::Logs result = model.evaluate(x_test, y_test, _batch_size = 256, _verbose = 0);
  const double images = static_cast<double>(split) * static_cast<double>(history.epoch.size());
  std::cout << "trained " << history.epoch.size() << " epoch(s) in " << seconds
            << " s: " << images / seconds << " images/s (augmentation and validation included) on "
            << default_device() << "\n";
  std::cout << "test accuracy: " << result["accuracy"] * 100 << " %  (test loss " << result["loss"]
            << ")\n";
  return 0;
}
