// Lesson 11: a convolution written with ops in a Module (the lesson's TfConv2D) on a CIFAR-10
// image, max pooling, the lesson's Keras CNN with the functional API, and the convolutional
// autoencoder: an encoder and a decoder model whose layers the autoencoder shares, compiled (Adam,
// mean squared error) and fitted one epoch on Fashion-MNIST. The autoencoder trains the encoder
// and the decoder, whose predict() then reconstructs test images: eight inputs above their
// reconstructions are written as a PNG grid, lesson11_reconstructions.png next to this program
// (a PGM file where ember was built without libpng).
//
//   lesson11_conv [--limit N]     train on the first N images only (default: all 60000, as the
//                                 lesson does; about 30 s on a 2-core AVX-512 CPU)
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "ember.h"

using namespace ember;

// The lesson's convolution layer without Keras: weights made on the first call.
struct TfConv2D : Module {
  Size2D kernel;
  std::int64_t channels;
  Size2D strides;
  std::string padding, activate;
  std::optional<Variable> w, b;

  TfConv2D(Size2D kernel = {3, 3}, std::int64_t channels = 1, Size2D strides = {2, 2},
           std::string padding = "SAME", std::string activate = "relu")
      : kernel(kernel),
        channels(channels),
        strides(strides),
        padding(std::move(padding)),
        activate(std::move(activate)) {}

  Tensor operator()(const Tensor& x) {
    if (!w) {
      // Weights (kernel_x, kernel_y, input_channels, output_channels)
      w = track(Variable(random::truncated_normal(
          {kernel.height, kernel.width, x.shape(-1), channels}, _stddev = 0.1)));
      b = track(Variable(zeros({channels})));
    }
    const Tensor y = conv2d(x, *w, _strides = strides, _padding = padding) + *b;
    if (activate == "relu") return relu(y);
    if (activate == "softmax") return softmax(y);
    return y;
  }
};

// The first test image of CIFAR-10 scaled to [0, 1], or a random image of that size when the data
// set is not installed (see docs/data.md).
Tensor cifar_image() {
  try {
    auto [train, test] = io::datasets::cifar10::load_data();
    return utils::rescale(test.first[0], 1.0 / 255);
  } catch (const IoError&) {
    std::cout << "(CIFAR-10 not found: a random 32x32x3 image instead)\n";
    return random::uniform({32, 32, 3});
  }
}

// Grey levels in [0, 1] of a (28, 28*k) image as a binary PGM.
/// Grayscale pictures [n, 28, 28] in [0, 1] in a row, 2 pixels apart.
Tensor picture_row(const Tensor& images) {
  std::vector<Tensor> pieces;
  for (std::int64_t i = 0; i < images.shape(0); ++i) {
    if (i > 0) pieces.push_back(ones({28, 2}));
    pieces.push_back(reshape(images[i], {28, 28}));
  }
  return concat(pieces, 1);
}

void write_pgm(const std::filesystem::path& path, const Tensor& image) {
  const std::vector<float> v = clip_by_value(image, 0.0, 1.0).to_vector<float>();
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << image.shape(1) << " " << image.shape(0) << "\n255\n";
  for (float p : v) out.put(static_cast<char>(static_cast<unsigned char>(p * 255.0f + 0.5f)));
}

int main(int argc, char** argv) {
  std::int64_t limit = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--limit") == 0 && i + 1 < argc) limit = std::atoll(argv[++i]);
  }
  std::cout << "device: " << default_device() << ", CPU threads: " << config::cpu_threads() << "\n";
  random::set_seed(1);

  // --- TfConv2D on an image -------------------------------------------------------------------
  TfConv2D layer1({3, 3}, 32);
  Tensor y = layer1(expand_dims(cifar_image(), 0));
  std::cout << y.shape() << "\n";  // (1, 16, 16, 32): the image shrank to 16x16 with 32 channels
  y = max_pool2d(y, _ksize = {2, 2}, _strides = Size2D{2, 2}, _padding = "SAME");
  std::cout << y.shape() << "\n";  // (1, 8, 8, 32)

  // --- the lesson's CNN with the functional API -----------------------------------------------
  auto input = keras::Input({32, 32, 3});
  auto l = layers::Conv2D(32, 3, _activation = "relu")(input);
  l = layers::MaxPooling2D(2, _padding = "same")(l);
  l = layers::Conv2D(64, 3, _activation = "relu")(l);
  l = layers::MaxPooling2D(2, _padding = "same")(l);
  l = layers::Flatten()(l);
  l = layers::Dense(256, _activation = "relu")(l);
  l = layers::Dropout(0.5)(l);
  auto output = layers::Dense(10)(l);
  keras::Model model(input, output);
  model.summary();

  // --- the convolutional autoencoder ----------------------------------------------------------
  // Encoder
  auto enc_input = keras::Input({28, 28, 1});
  auto x = layers::Conv2D(32, 3, _activation = "relu")(enc_input);
  x = layers::MaxPooling2D(2, _padding = "same")(x);
  x = layers::Conv2D(64, 3, _activation = "relu")(x);
  x = layers::MaxPooling2D(2, _padding = "same")(x);
  x = layers::Flatten()(x);
  auto enc_output = layers::Dense(8, _activation = "linear")(x);
  keras::Model encoder(enc_input, enc_output, "encoder");

  // Decoder
  auto dec_input = keras::Input({8}, _name = "encoded_img");
  x = layers::Dense(7 * 7 * 8, _activation = "relu")(dec_input);
  x = layers::Reshape({7, 7, 8})(x);
  x = layers::Conv2DTranspose(64, 5, _strides = {2, 2}, _activation = "relu", _padding = "same")(x);
  x = layers::BatchNormalization()(x);
  x = layers::Conv2DTranspose(32, 5, _strides = {2, 2}, _activation = "linear",
                              _padding = "same")(x);
  x = layers::BatchNormalization()(x);
  auto dec_output = layers::Conv2DTranspose(1, 3, _activation = "sigmoid", _padding = "same")(x);
  keras::Model decoder(dec_input, dec_output, "decoder");

  // Autoencoder: the same layers, so training it trains the encoder and the decoder.
  auto autoencoder_input = keras::Input({28, 28, 1}, _name = "img");
  // (A new name: x, declared before the encoder, would still refer to it when it is destroyed.)
  auto encoded = encoder(autoencoder_input);
  auto autoencoder_output = decoder(encoded);
  keras::Model autoencoder(autoencoder_input, autoencoder_output, "autoencoder");
  autoencoder.summary();

  // Load dataset (Fashion-MNIST: the lesson's MNIST in the same format)
  auto [train, test] = io::datasets::fashion_mnist::load_data();
  auto [x_train_all, y_train] = train;
  auto [x_test, y_test] = test;
  // x_train.astype("float32") / 255.0, then x_train[..., tf.newaxis]: the channel axis.
  x_train_all = (cast(x_train_all, float32) / 255.0f).index({ellipsis, newaxis});
  x_test = (cast(x_test, float32) / 255.0f).index({ellipsis, newaxis});
  const std::int64_t count =
      limit < 0 ? x_train_all.shape(0) : std::min(limit, x_train_all.shape(0));
  const Tensor x_train = x_train_all.slice(0, count);

  // Compile and train the autoencoder
  autoencoder.compile(_optimizer = "adam", _loss = "mean_squared_error");
  const auto start = std::chrono::steady_clock::now();
  const keras::History history =
      autoencoder.fit(x_train, x_train, _batch_size = 32, _epochs = 1, _verbose = 2);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "1 epoch on " << x_train.shape(0) << " images: loss "
            << history.history.at("loss").back() << ", " << seconds << " s\n";

  // Predict and visualize the results
  // [*1] The encoder and the decoder were trained through the autoencoder: they share its layers.
  const Tensor originals = x_test.slice(0, 8);
  const Tensor h = encoder.predict(originals);
  const Tensor reconstructions = decoder.predict(h);
  // Inputs on top, reconstructions below: [58, 238, 1], grayscale in [0, 1].
  const Tensor grid =
      concat({picture_row(originals), ones({2, 8 * 28 + 7 * 2}), picture_row(reconstructions)}, 0);
  const auto folder = std::filesystem::weakly_canonical(argv[0]).parent_path();
  std::filesystem::path path;
  if (io::png_available()) {
    path = folder / "lesson11_reconstructions.png";
    io::write_png(path.string(), expand_dims(grid, -1).to(Device::cpu()));
  } else {
    path = folder / "lesson11_reconstructions.pgm";
    write_pgm(path, grid.to(Device::cpu()));
  }
  std::cout << "8 test images and their reconstructions (mean squared error "
            << reduce_mean(square(reconstructions - originals)).item<float>()
            << "): " << path.string() << "\n";
  return 0;
}
