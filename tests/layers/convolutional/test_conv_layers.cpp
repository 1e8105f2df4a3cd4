// Keras' convolution, pooling, normalization, reshaping and merge layers: output shapes against
// Keras 3's own (tests/data/conv_shapes.json from tests/golden/conv_shapes.py), summaries and
// parameter counts of the lesson models (tests/golden/conv_models.py), BatchNormalization's
// moving statistics, merge layers, configs, and a few training steps.
#include <cstdlib>
#include <fstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::expect_error;
using testing::random_values;
using testing::values_of;

class ConvLayers : public testing::OnDevice {
 protected:
  void SetUp() override {
    OnDevice::SetUp();
    keras::clear_session();
  }
};

Tensor random_images(const Shape& shape, unsigned seed) {
  return constant(random_values(static_cast<std::size_t>(shape.num_elements()), -1, 1, seed),
                  shape);
}

keras::LayerHandle image_layer(const std::string& kind, std::int64_t k, std::int64_t s,
                               const std::string& padding, std::int64_t d) {
  if (kind == "Conv2D")
    return layers::Conv2D(2, k, _strides = s, _padding = padding, _dilation_rate = d);
  if (kind == "Conv2DTranspose")
    return layers::Conv2DTranspose(2, k, _strides = s, _padding = padding, _dilation_rate = d);
  if (kind == "DepthwiseConv2D")
    return layers::DepthwiseConv2D(k, _strides = s, _padding = padding, _dilation_rate = d);
  if (kind == "SeparableConv2D")
    return layers::SeparableConv2D(2, k, _strides = s, _padding = padding, _dilation_rate = d);
  if (kind == "MaxPooling2D") return layers::MaxPooling2D(k, _strides = s, _padding = padding);
  return layers::AveragePooling2D(k, _strides = s, _padding = padding);
}

TEST_P(ConvLayers, OutputShapesMatchKeras) {
  const char* data = std::getenv("EMBER_TEST_DATA");
  ASSERT_NE(data, nullptr) << "EMBER_TEST_DATA is set by CTest";
  std::ifstream file(std::string(data) + "/conv_shapes.json");
  ASSERT_TRUE(file) << "tests/data/conv_shapes.json is missing";
  const keras::Config golden = keras::Config::parse(file);
  ASSERT_GT(golden["rows"].size(), 500u);
  for (const keras::Config& row : golden["rows"]) {
    const std::string kind = row[0].get<std::string>(), padding = row[5].get<std::string>();
    const std::int64_t h = row[1], w = row[2], k = row[3], s = row[4], d = row[6], oh = row[7],
                       ow = row[8];
    const std::string label =
        cat(kind, " input ", h, "x", w, " k", k, " s", s, " ", padding, " d", d);
    auto layer = image_layer(kind, k, s, padding, d);
    if (oh < 0) {  // Keras rejects it: so does ember, naming the layer
      expect_error<ShapeError>([&] { layer(keras::Input({h, w, 3})); }, {layer->name(), "window"});
      continue;
    }
    const keras::KerasTensor out = layer(keras::Input({h, w, 3}));
    const std::int64_t channels =
        kind.find("Pooling") != std::string::npos || kind == "DepthwiseConv2D" ? 3 : 2;
    EXPECT_EQ(out.shape(), Shape({-1, oh, ow, channels})) << label;
    // The ops compute exactly that shape on real data.
    EXPECT_EQ(layer(zeros({2, h, w, 3})).shape(), Shape({2, oh, ow, channels})) << label;
  }
}

// Keras 3.15's summaries (COLUMNS=200) of the lesson 11 CNN and the lesson 13 toy ResNet.
// clang-format off
const char* kLesson11Summary =
    "Model: \"functional\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ input_layer (InputLayer)             │ (None, 32, 32, 3)           │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ conv2d (Conv2D)                      │ (None, 30, 30, 32)          │             896 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ max_pooling2d (MaxPooling2D)         │ (None, 15, 15, 32)          │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ conv2d_1 (Conv2D)                    │ (None, 13, 13, 64)          │          18,496 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ max_pooling2d_1 (MaxPooling2D)       │ (None, 7, 7, 64)            │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ flatten (Flatten)                    │ (None, 3136)                │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense (Dense)                        │ (None, 256)                 │         803,072 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dropout (Dropout)                    │ (None, 256)                 │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_1 (Dense)                      │ (None, 10)                  │           2,570 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 825,034 (3.15 MB)\n"
    " Trainable params: 825,034 (3.15 MB)\n"
    " Non-trainable params: 0 (0.00 B)\n";

const char* kToyResNetSummary =
    "Model: \"toy_resnet\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to               ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━┩\n"
    "│ img (InputLayer)              │ (None, 32, 32, 3)         │               0 │ -                          │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d (Conv2D)               │ (None, 30, 30, 32)        │             896 │ img[0][0]                  │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_1 (Conv2D)             │ (None, 28, 28, 64)        │          18,496 │ conv2d[0][0]               │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ max_pooling2d (MaxPooling2D)  │ (None, 9, 9, 64)          │               0 │ conv2d_1[0][0]             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_2 (Conv2D)             │ (None, 9, 9, 64)          │          36,928 │ max_pooling2d[0][0]        │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_3 (Conv2D)             │ (None, 9, 9, 64)          │          36,928 │ conv2d_2[0][0]             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ add (Add)                     │ (None, 9, 9, 64)          │               0 │ conv2d_3[0][0],            │\n"
    "│                               │                           │                 │ max_pooling2d[0][0]        │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_4 (Conv2D)             │ (None, 9, 9, 64)          │          36,928 │ add[0][0]                  │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_5 (Conv2D)             │ (None, 9, 9, 64)          │          36,928 │ conv2d_4[0][0]             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ add_1 (Add)                   │ (None, 9, 9, 64)          │               0 │ conv2d_5[0][0], add[0][0]  │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ conv2d_6 (Conv2D)             │ (None, 7, 7, 64)          │          36,928 │ add_1[0][0]                │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ global_average_pooling2d      │ (None, 64)                │               0 │ conv2d_6[0][0]             │\n"
    "│ (GlobalAveragePooling2D)      │                           │                 │                            │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ dense (Dense)                 │ (None, 256)               │          16,640 │ global_average_pooling2d[… │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ dropout (Dropout)             │ (None, 256)               │               0 │ dense[0][0]                │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼────────────────────────────┤\n"
    "│ dense_1 (Dense)               │ (None, 10)                │           2,570 │ dropout[0][0]              │\n"
    "└───────────────────────────────┴───────────────────────────┴─────────────────┴────────────────────────────┘\n"
    " Total params: 223,242 (872.04 KB)\n"
    " Trainable params: 223,242 (872.04 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n";
// clang-format on

TEST_P(ConvLayers, Lesson11CnnSummaryMatchesKeras) {
  auto input = keras::Input({32, 32, 3});
  auto l = layers::Conv2D(32, 3, _activation = "relu")(input);
  l = layers::MaxPooling2D(2, _padding = "same")(l);
  l = layers::Conv2D(64, 3, _activation = "relu")(l);
  l = layers::MaxPooling2D(2, _padding = "same")(l);
  l = layers::Flatten()(l);
  l = layers::Dense(256, _activation = "relu")(l);
  l = layers::Dropout(0.5)(l);
  keras::Model model(input, layers::Dense(10)(l));
  EXPECT_EQ(model.summary_string(), kLesson11Summary);
  EXPECT_EQ(model(random_images({2, 32, 32, 3}, 1)).shape(), Shape({2, 10}));
}

// Lesson 13's functional toy ResNet for CIFAR-10.
keras::Model toy_resnet() {
  auto inputs = keras::Input({32, 32, 3}, _name = "img");
  auto x = layers::Conv2D(32, 3, _activation = "relu")(inputs);
  x = layers::Conv2D(64, 3, _activation = "relu")(x);
  auto block_1_output = layers::MaxPooling2D(3)(x);
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_1_output);
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(x);
  auto block_2_output = layers::add({x, block_1_output});
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(block_2_output);
  x = layers::Conv2D(64, 3, _activation = "relu", _padding = "same")(x);
  auto block_3_output = layers::add({x, block_2_output});
  x = layers::Conv2D(64, 3, _activation = "relu")(block_3_output);
  x = layers::GlobalAveragePooling2D()(x);
  x = layers::Dense(256, _activation = "relu")(x);
  x = layers::Dropout(0.5)(x);
  auto outputs = layers::Dense(10, _activation = "softmax")(x);
  return keras::Model(inputs, outputs, "toy_resnet");
}

TEST_P(ConvLayers, ToyResNetHasKerasParameterCountAndSummary) {
  keras::Model model = toy_resnet();
  EXPECT_EQ(model.count_params(), 223242);
  EXPECT_EQ(model.summary_string(), kToyResNetSummary);
  const Tensor y = model(random_images({3, 32, 32, 3}, 2));
  ASSERT_EQ(y.shape(), Shape({3, 10}));
  expect_close(values_of(reduce_sum(y, 1)), {1, 1, 1}, 1e-5, "softmax rows");
}

keras::Handle<keras::Sequential> vgg(const std::vector<std::pair<std::int64_t, int>>& blocks) {
  auto model = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({224, 224, 3})});
  for (const auto& [filters, count] : blocks) {
    for (int i = 0; i < count; ++i)
      model->add(layers::Conv2D(filters, 3, _activation = "relu", _padding = "same"));
    model->add(layers::MaxPooling2D(2));
  }
  model->add(layers::Flatten());
  model->add(layers::Dense(4096, _activation = "relu"));
  model->add(layers::Dense(4096, _activation = "relu"));
  model->add(layers::Dense(1000, _activation = "softmax"));
  return model;
}

TEST_P(ConvLayers, VggParameterCountsMatchKeras) {
  EXPECT_EQ(vgg({{64, 2}, {128, 2}, {256, 3}, {512, 3}, {512, 3}})->count_params(), 138357544);
  EXPECT_EQ(vgg({{64, 2}, {128, 2}, {256, 4}, {512, 4}, {512, 4}})->count_params(), 143667240);
}

TEST_P(ConvLayers, BatchNormalizationFollowsKeras) {
  // tests/golden/conv_models.py: x[n, h, w, c] = (flat index % 7) + c / 10, momentum 0.9.
  std::vector<float> xv(4 * 2 * 3 * 3);
  for (std::size_t i = 0; i < xv.size(); ++i)
    xv[i] = static_cast<float>(i % 7) + static_cast<float>(i % 3) / 10.f;
  const Tensor x = constant(xv, {4, 2, 3, 3});
  auto bn = layers::BatchNormalization(_momentum = 0.9);
  const Tensor inference_before = bn(x);  // builds; inference leaves the statistics alone
  EXPECT_EQ(bn->moving_mean.to_vector<float>(), std::vector<float>(3, 0.f));
  EXPECT_EQ(bn->moving_variance.to_vector<float>(), std::vector<float>(3, 1.f));
  expect_close(values_of(inference_before), values_of(x / std::sqrt(1.0 + 1e-3)), 1e-6,
               "identity statistics");
  EXPECT_EQ(bn->trainable_weights().size(), 2u);
  EXPECT_EQ(bn->non_trainable_weights().size(), 2u);
  EXPECT_EQ(bn->weights()[2].name(), "moving_mean");  // Keras 3: the name, and the path
  EXPECT_EQ(bn->weights()[2].path(), bn->name() + "/moving_mean");
  EXPECT_FALSE(bn->moving_variance.trainable());

  const Tensor y = bn(x, true);
  expect_close(values_of(bn->moving_mean.value()), {0.3, 0.29333326, 0.3158333}, 2e-6,
               "moving_mean");
  expect_close(values_of(bn->moving_variance.value()), {1.325, 1.3055556, 1.2873263}, 2e-6,
               "moving_variance");
  expect_close(values_of(y.index(0, 0, 0)), {-1.4550427, -0.910254, -0.4868798}, 1e-5,
               "training output");
  expect_close(values_of(bn(x).index(0, 0, 0)), {-0.2605251, 0.7057164, 1.6599934}, 1e-5,
               "inference output");
  const auto frozen_mean = bn->moving_mean.to_vector<float>();
  (void)bn(x);  // inference again: unchanged
  EXPECT_EQ(bn->moving_mean.to_vector<float>(), frozen_mean);
  bn->set_trainable(false);  // Keras: a frozen BatchNormalization runs in inference mode
  expect_close(values_of(bn(x, true)), values_of(bn(x)), 0, "frozen layer");
  EXPECT_EQ(bn->moving_mean.to_vector<float>(), frozen_mean);
  EXPECT_TRUE(bn->trainable_weights().empty());

  // The gradients reach x, gamma and beta through the fused op.
  auto fresh = layers::BatchNormalization();
  GradientTape tape;
  tape.watch(x);
  const Tensor loss = reduce_sum(square(fresh(x, true)) * x);
  const auto grads = tape.gradient(loss, {x, fresh->gamma, fresh->beta});
  for (const auto& g : grads) ASSERT_TRUE(g.has_value());
  // Another axis: statistics per row of (N, C, W).
  auto channels_first = layers::BatchNormalization(_axis = 1);
  const Tensor z = random_images({5, 4, 3}, 3);
  const Tensor nz = channels_first(z, true);
  expect_close(values_of(reduce_mean(nz, {0, 2})), std::vector<double>(4, 0.0), 1e-5,
               "axis 1 means");
  EXPECT_EQ(channels_first->gamma.shape(), Shape({4}));
  expect_error<ShapeError>([&] { bn(zeros({2, 5})); }, {bn->name(), "3 features", "(2, 5)"});
}

TEST_P(ConvLayers, ConvolutionLayersComputeWithKerasWeights) {
  const Tensor x = random_images({2, 7, 6, 3}, 4);
  auto conv = layers::Conv2D(4, {3, 2}, _strides = 2, _activation = "relu", _padding = "same");
  const Tensor y = conv(x);
  EXPECT_EQ(conv->kernel.shape(), Shape({3, 2, 3, 4}));
  EXPECT_EQ(conv->count_params(), 3 * 2 * 3 * 4 + 4);
  expect_close(
      values_of(y),
      values_of(relu(conv2d(x, conv->kernel, _strides = 2, _padding = "same") + conv->bias)), 1e-6,
      "Conv2D");
  auto grouped = layers::Conv2D(6, 3, _groups = 3);
  EXPECT_EQ(grouped(x).shape(), Shape({2, 5, 4, 6}));
  EXPECT_EQ(grouped->kernel.shape(), Shape({3, 3, 1, 6}));
  auto transpose =
      layers::Conv2DTranspose(5, 3, _strides = 2, _padding = "same", _use_bias = false);
  EXPECT_EQ(transpose(x).shape(), Shape({2, 14, 12, 5}));
  EXPECT_EQ(transpose->kernel.shape(), Shape({3, 3, 5, 3}));
  auto depthwise = layers::DepthwiseConv2D(3, _depth_multiplier = 2);
  EXPECT_EQ(depthwise(x).shape(), Shape({2, 5, 4, 6}));
  EXPECT_EQ(depthwise->count_params(), 3 * 3 * 3 * 2 + 6);
  auto separable = layers::SeparableConv2D(8, 3, _padding = "same");
  const Tensor s = separable(x);
  EXPECT_EQ(separable->count_params(), 3 * 3 * 3 + 3 * 8 + 8);
  expect_close(values_of(s),
               values_of(conv2d(depthwise_conv2d(x, separable->depthwise_kernel, _padding = "same"),
                                separable->pointwise_kernel) +
                         separable->bias),
               1e-6, "SeparableConv2D");
  expect_error<ShapeError>([&] { conv(zeros({2, 7, 6, 5})); }, {conv->name(), "(2, 7, 6, 5)"});
  expect_error<Error>([] { layers::Conv2D(0, 3); }, {"Conv2D", "filters"});
  expect_error<Error>([] { layers::Conv2D(4, 3, _strides = 2, _dilation_rate = 2); },
                      {"Conv2D", "dilation_rate"});
  expect_error<Error>([] { layers::Conv2D(4, 3, _padding = "full"); }, {"Conv2D", "padding"});
}

TEST_P(ConvLayers, MergeAndReshapingLayers) {
  const Tensor a = random_images({2, 3, 4}, 5), b = random_images({2, 3, 4}, 6),
               c = random_images({2, 3, 1}, 7);
  expect_close(values_of(layers::add({a, b, c})), values_of(a + b + c), 1e-7, "add");
  expect_close(values_of(layers::subtract({a, b})), values_of(a - b), 1e-7, "subtract");
  expect_close(values_of(layers::multiply({a, b})), values_of(a * b), 1e-7, "multiply");
  expect_close(values_of(layers::average({a, b})), values_of((a + b) / 2), 1e-7, "average");
  expect_close(values_of(layers::maximum({a, b})), values_of(maximum(a, b)), 0, "maximum");
  EXPECT_EQ(layers::concatenate({a, c}).shape(), Shape({2, 3, 5}));
  EXPECT_EQ(layers::concatenate({a, b}, 1).shape(), Shape({2, 6, 4}));
  auto i1 = keras::Input({3, 4}), i2 = keras::Input({3, 4}), i3 = keras::Input({3, 2});
  EXPECT_EQ(layers::add({i1, i2}).shape(), Shape({-1, 3, 4}));
  EXPECT_EQ(layers::concatenate({i1, i3}).shape(), Shape({-1, 3, 6}));
  keras::Model merged({i1, i2, i3}, layers::concatenate({layers::maximum({i1, i2}), i3}));
  EXPECT_EQ(merged(std::vector<Tensor>{a, b, random_images({2, 3, 2}, 10)})[0].shape(),
            Shape({2, 3, 6}));
  auto sub = layers::Subtract();
  expect_error<ShapeError>(
      [&] {
        (*sub)(std::vector<keras::KerasTensor>{i1, i2, i1});
      },
      {sub->name(), "exactly 2"});
  auto cat_layer = layers::Concatenate();
  expect_error<ShapeError>(
      [&] {
        (*cat_layer)(std::vector<keras::KerasTensor>{i1, keras::Input({2, 4})});
      },
      {cat_layer->name(), "(None, 3, 4)", "(None, 2, 4)"});
  expect_error<ShapeError>(
      [&] {
        layers::add({a, random_images({2, 5, 4}, 8)});
      },
      {"add", "(2, 3, 4)", "(2, 5, 4)"});

  const Tensor img = random_images({1, 2, 3, 2}, 9);
  auto up = layers::UpSampling2D({2, 3});
  EXPECT_EQ(up(img).shape(), Shape({1, 4, 9, 2}));
  EXPECT_EQ(up(keras::Input({5, -1, 2})).shape(), Shape({-1, 10, -1, 2}));
  auto padding = layers::ZeroPadding2D(layers::Padding2D({1, 2}, {0, 3}));
  const Tensor padded = padding(img);
  EXPECT_EQ(padded.shape(), Shape({1, 5, 6, 2}));
  EXPECT_EQ(reduce_sum(padded).item<float>(), reduce_sum(img).item<float>());
  EXPECT_EQ(values_of(padded.index(0, 1, 0)), values_of(img.index(0, 0, 0)));
  EXPECT_EQ(layers::ZeroPadding2D(1)(keras::Input({4, 4, 1})).shape(), Shape({-1, 6, 6, 1}));
  auto gap = layers::GlobalMaxPooling2D(_keepdims = true);
  EXPECT_EQ(gap(img).shape(), Shape({1, 1, 1, 2}));
}

TEST_P(ConvLayers, ConfigsRoundTrip) {
  const std::vector<keras::LayerHandle> originals = {
      layers::Conv2D(8, {3, 1}, _strides = {1, 2}, _activation = "relu", _padding = "same",
                     _kernel_regularizer = "l2"),
      layers::Conv2DTranspose(4, 5, _strides = 2, _padding = "same"),
      layers::DepthwiseConv2D(3, _depth_multiplier = 2),
      layers::SeparableConv2D(6, 3, _dilation_rate = 2),
      layers::MaxPooling2D(3, _strides = 2, _padding = "same"),
      layers::AveragePooling2D(2),
      layers::GlobalAveragePooling2D(),
      layers::GlobalMaxPooling2D(_keepdims = true),
      layers::BatchNormalization(_momentum = 0.9, _epsilon = 1e-5, _center = false),
      layers::UpSampling2D({2, 3}),
      layers::ZeroPadding2D(layers::Padding2D({1, 2}, {3, 4})),
      layers::Add(),
      layers::Subtract(),
      layers::Multiply(),
      layers::Average(),
      layers::Maximum(),
      layers::Concatenate(1),
  };
  for (const auto& layer : originals) {
    const keras::Config serialized = keras::serialize_layer(*layer);
    const keras::LayerHandle copy = keras::layer_from_config(serialized);
    EXPECT_EQ(copy->class_name(), layer->class_name());
    EXPECT_EQ(keras::serialize_layer(*copy), serialized) << serialized.dump();
  }
  const keras::Config conv = layers::Conv2D(8, 3)->get_config();
  EXPECT_EQ(conv["kernel_size"], keras::Config::array({3, 3}));
  EXPECT_EQ(conv["padding"], "valid");
  EXPECT_EQ(conv["data_format"], "channels_last");
}

TEST_P(ConvLayers, ASmallConvNetLearns) {
  random::set_seed(3);
  // Images whose class is the sign of their mean brightness.
  const Tensor x = random::uniform({32, 8, 8, 1}, _minval = -1, _maxval = 1);
  const Tensor y = cast(reduce_mean(x, {1, 2, 3}) > 0.0f, float32);
  auto inputs = keras::Input({8, 8, 1});
  auto h = layers::Conv2D(4, 3, _activation = "relu", _padding = "same")(inputs);
  h = layers::BatchNormalization()(h);
  h = layers::MaxPooling2D(2)(h);
  h = layers::GlobalAveragePooling2D()(h);
  keras::Model model(inputs, layers::Dense(1, _activation = "sigmoid")(h));
  optim::Adam optimizer(_learning_rate = 0.05);
  auto loss_of = [&](bool training) {
    const Tensor p = clip_by_value(reshape(model(x, training), {-1}), 1e-6, 1 - 1e-6);
    return reduce_mean(-(y * log(p) + (1 - y) * log(1 - p)));
  };
  const double first = loss_of(false).item<float>();
  for (int step = 0; step < 40; ++step) {
    GradientTape tape;
    const Tensor loss = loss_of(true);
    const auto vars = model.trainable_variables();
    optimizer.apply_gradients(tape.gradient(loss, vars), vars);
  }
  EXPECT_LT(loss_of(false).item<float>(), first * 0.8);
}

TEST_P(ConvLayers, TransposedOutputPaddingMatchesKeras) {
  // Keras 3's own Conv2DTranspose with output_padding (tests/golden/conv_transpose.py).
  const char* dir = std::getenv("EMBER_TEST_DATA");  // set by CTest
  const std::string data = std::string(dir ? dir : "tests/data") + "/conv_transpose/";
  struct Case {
    const char* padding;
    Size2D strides, kernel, output_padding;
  };
  const Case cases[] = {{"valid", {2, 2}, {3, 3}, {1, 1}},
                        {"same", {2, 2}, {3, 3}, {1, 0}},
                        {"same", {3, 2}, {3, 2}, {2, 1}},
                        {"valid", {2, 3}, {2, 3}, {0, 2}}};
  const Tensor x = io::load_npy(data + "x.npy").to(device());
  for (int i = 0; i < 4; ++i) {
    const Case& c = cases[i];
    auto layer = layers::Conv2DTranspose(4, c.kernel, _strides = c.strides, _padding = c.padding,
                                         _output_padding = c.output_padding, _use_bias = false);
    const Tensor expected = io::load_npy(data + "y_" + std::to_string(i) + ".npy");
    EXPECT_EQ(layer->compute_output_shape({x.shape()})[0], expected.shape()) << "case " << i;
    (void)layer(x);
    layer->set_weights({io::load_npy(data + "kernel_" + std::to_string(i) + ".npy")});
    const Tensor y = layer(x);
    ASSERT_EQ(y.shape(), expected.shape()) << "case " << i;
    expect_close(testing::values_of(y), testing::values_of(expected), 1e-4,
                 "case " + std::to_string(i));
    // The config carries it through a round trip.
    auto again = keras::layer_from_config(keras::serialize_layer(*layer));
    EXPECT_EQ(again->get_config()["output_padding"],
              (keras::Config::array({c.output_padding.height, c.output_padding.width})));
  }
  EXPECT_THROW(layers::Conv2DTranspose(2, 3, _strides = 2, _output_padding = Size2D{2, 0}), Error);
  EXPECT_THROW(
      (void)conv2d_transpose(x, ones({3, 3, 4, 3}), _strides = 1, _output_padding = Size2D{1, 1}),
      Error);
}

TEST_P(ConvLayers, BilinearUpSamplingMatchesKeras) {
  // Keras 3's own UpSampling2D(interpolation="bilinear") (tests/golden/upsampling.py).
  const char* dir = std::getenv("EMBER_TEST_DATA");  // set by CTest
  const std::string data = std::string(dir ? dir : "tests/data") + "/upsampling/";
  const Tensor x = io::load_npy(data + "x.npy").to(device());
  const Size2D sizes[] = {{2, 2}, {3, 2}};
  for (int i = 0; i < 2; ++i) {
    auto layer = layers::UpSampling2D(sizes[i], _interpolation = "bilinear");
    const Tensor expected = io::load_npy(data + "bilinear_" + std::to_string(i) + ".npy");
    const Tensor y = layer(x);
    ASSERT_EQ(y.shape(), expected.shape());
    expect_close(values_of(y), values_of(expected), 1e-5, "size " + std::to_string(i));
    EXPECT_EQ(
        keras::layer_from_config(keras::serialize_layer(*layer))->get_config()["interpolation"],
        "bilinear");
  }
  // The gradient spreads each output's weight over its two neighbours: d(sum y)/dx sums to the
  // number of outputs.
  const Tensor xd = cast(x, float64);
  GradientTape tape;
  tape.watch(xd);
  const Tensor y = reduce_sum(upsampling2d(xd, {2, 3}, "bilinear"));
  EXPECT_NEAR(reduce_sum(*tape.gradient(y, xd)).item<double>(), static_cast<double>(x.size() * 6),
              1e-9);
  EXPECT_THROW(layers::UpSampling2D(2, _interpolation = "bicubic"), Error);
}

INSTANTIATE_TEST_SUITE_P(Devices, ConvLayers, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
