// Models: Sequential (add/pop/build), the functional API (several outputs, sub-models, nesting),
// subclassed models, predict, the training flag, and summary() against Keras 3's own output.
#include <sstream>
#include <type_traits>

#include "tests/test_support.h"

namespace ember {
namespace {

using testing::expect_close;
using testing::expect_error;
using testing::values_of;

class Models : public testing::OnDevice {
 protected:
  void SetUp() override {
    OnDevice::SetUp();
    keras::clear_session();
  }
};

// Keras 3.15's model.summary() for the same models (COLUMNS=200), tests/golden/summaries.py.
const char* kSequentialSummary =
    "Model: \"sequential\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ dense (Dense)                        │ (None, 128)                 │         100,480 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 101,770 (397.54 KB)\n"
    " Trainable params: 101,770 (397.54 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n";

const char* kFunctionalSummary =
    "Model: \"functional_1\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━"
    "━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                  ┃ Output Shape              ┃         Param # ┃ Connected to  "
    "             ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━"
    "━━━━━━━━━━━━━┩\n"
    "│ features (InputLayer)         │ (None, 20)                │               0 │ -             "
    "             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼───────────────"
    "─────────────┤\n"
    "│ dense_2 (Dense)               │ (None, 64)                │           1,344 │ "
    "features[0][0]             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼───────────────"
    "─────────────┤\n"
    "│ dropout (Dropout)             │ (None, 64)                │               0 │ dense_2[0][0] "
    "             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼───────────────"
    "─────────────┤\n"
    "│ layer_normalization           │ (None, 64)                │             128 │ dropout[0][0] "
    "             │\n"
    "│ (LayerNormalization)          │                           │                 │               "
    "             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼───────────────"
    "─────────────┤\n"
    "│ class_output (Dense)          │ (None, 3)                 │             195 │ dropout[0][0] "
    "             │\n"
    "├───────────────────────────────┼───────────────────────────┼─────────────────┼───────────────"
    "─────────────┤\n"
    "│ score (Dense)                 │ (None, 1)                 │              65 │ "
    "layer_normalization[0][0]  │\n"
    "└───────────────────────────────┴───────────────────────────┴─────────────────┴───────────────"
    "─────────────┘\n"
    " Total params: 1,732 (6.77 KB)\n"
    " Trainable params: 1,732 (6.77 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n";

const char* kNestedSummary =
    "Model: \"sequential_2\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ sequential_1 (Sequential)            │ (None, 4)                   │              36 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_4 (Dense)                      │ (None, 2)                   │              10 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 46 (184.00 B)\n"
    " Trainable params: 10 (40.00 B)\n"
    " Non-trainable params: 36 (144.00 B)\n";

TEST_P(Models, SummariesMatchKeras) {
  keras::Sequential m({keras::Input({784}), layers::Dense(128, _activation = "relu"),
                       layers::Dense(10, _activation = "softmax")});
  EXPECT_EQ(m.summary_string(), kSequentialSummary);
  auto inp = keras::Input({20}, _name = "features");
  auto x = layers::Dense(64, _activation = "relu")(inp);
  x = layers::Dropout(0.5)(x);
  auto a = layers::Dense(3, _name = "class_output")(x);
  auto b = layers::Dense(1, _name = "score")(layers::LayerNormalization()(x));
  keras::Model f(inp, {a, b});
  EXPECT_EQ(f.summary_string(), kFunctionalSummary);
  auto inner = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{keras::Input({8}), layers::Dense(4)});
  inner->set_trainable(false);
  keras::Sequential outer({keras::Input({8}), inner, layers::Dense(2)});
  EXPECT_EQ(outer.summary_string(), kNestedSummary);
}

// Keras 3.15 (COLUMNS=200, tests/golden/summaries.py): a Sequential built by a call on one row
// keeps that batch size; after compile and fit the optimizer's variables are counted; one output
// per layer of a chain is still sequential-like (no "Connected to" column).
const char* kBuiltByACallSummary =
    "Model: \"sequential\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ dense (Dense)                        │ (1, 128)                    │           2,688 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_1 (Dense)                      │ (1, 10)                     │           1,290 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 3,978 (15.54 KB)\n"
    " Trainable params: 3,978 (15.54 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n";

const char* kAfterFitSummary =
    "Model: \"sequential\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ dense (Dense)                        │ (1, 128)                    │           2,688 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_1 (Dense)                      │ (1, 10)                     │           1,290 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 11,936 (46.63 KB)\n"
    " Trainable params: 3,978 (15.54 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n"
    " Optimizer params: 7,958 (31.09 KB)\n";

const char* kOneOutputPerLayerSummary =
    "Model: \"functional_1\"\n"
    "┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓\n"
    "┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃\n"
    "┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩\n"
    "│ input_layer (InputLayer)             │ (None, 784)                 │               0 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense (Dense)                        │ (None, 128)                 │         100,480 │\n"
    "├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤\n"
    "│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │\n"
    "└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘\n"
    " Total params: 101,770 (397.54 KB)\n"
    " Trainable params: 101,770 (397.54 KB)\n"
    " Non-trainable params: 0 (0.00 B)\n";

TEST_P(Models, SummariesAfterACallAFitAndForOneOutputPerLayer) {
  keras::Sequential s({layers::Dense(128, _activation = "relu"), layers::Dense(10)});
  (void)s(zeros({1, 20}));
  EXPECT_EQ(s.summary_string(), kBuiltByACallSummary);
  s.compile(_optimizer = "adam", _loss = "mse");
  s.fit(zeros({4, 20}), zeros({4, 10}), _verbose = 0);
  EXPECT_EQ(s.summary_string(), kAfterFitSummary);
  keras::clear_session();
  keras::Sequential chain({keras::Input({784}), layers::Dense(128), layers::Dense(10)});
  std::vector<keras::KerasTensor> outputs;
  for (const auto& layer : chain.layers()) outputs.push_back(layer->output());
  keras::Model per_layer(chain.inputs(), outputs);
  EXPECT_EQ(per_layer.summary_string(), kOneOutputPerLayerSummary);
}

TEST_P(Models, SequentialBuildsFromDataOrFromAnInput) {
  keras::Sequential model(
      {layers::Dense(128, _activation = "relu"), layers::Dense(10, _activation = "softmax")});
  EXPECT_TRUE(model.layers()[0]->weights().empty());  // Keras: empty until the input shape is known
  const Tensor y = model(random::uniform({1, 20}));
  EXPECT_EQ(y.shape(), Shape({1, 10}));
  EXPECT_EQ(model.layers()[0]->weights()[0].shape(), Shape({20, 128}));
  // The graph exists now, with the call's batch size as Keras' (summary: (1, 128)); other batch
  // sizes still run.
  EXPECT_EQ(model.layers()[0]->output().shape(), Shape({1, 128}));
  EXPECT_EQ(model(random::uniform({3, 20})).shape(), Shape({3, 10}));
  keras::Sequential with_input({keras::Input({20}), layers::Dense(128), layers::Dense(10)});
  EXPECT_EQ(with_input.layers().size(), 2u);  // the Input is not a layer of a Sequential
  EXPECT_FALSE(with_input.layers()[0]->weights().empty());
  keras::Sequential with_shape(
      {layers::Dense(128, _activation = "relu", _input_shape = Shape{784}), layers::Dense(10)});
  EXPECT_EQ(with_shape.count_params(), 784 * 128 + 128 + 1290);
  EXPECT_EQ(with_shape.inputs()[0].shape(), Shape({-1, 784}));
}

TEST_P(Models, SequentialAddAndPop) {
  keras::Sequential model(
      {keras::Input({20}), layers::Dense(128, _activation = "relu"), layers::Dense(10)});
  model.pop();
  ASSERT_EQ(model.layers().size(), 1u);
  model.add(layers::Dense(10, _activation = "softmax"));
  EXPECT_EQ(model(ones({3, 20})).shape(), Shape({3, 10}));
  expect_close(values_of(reduce_sum(model(ones({3, 20})), 1)), {1, 1, 1}, 1e-5, "softmax rows");
  expect_error<ShapeError>([&] { model.add(layers::Reshape({3, 3})); }, {"reshape", "(None, 10)"});
  EXPECT_EQ(model.layers().size(), 2u);  // the failed add left the model as it was
  keras::Sequential empty;
  expect_error<Error>([&] { empty.pop(); }, {"pop", "no layers"});
}

TEST_P(Models, FunctionalModelsWithTwoOutputsAndSubmodels) {
  keras::Sequential model({layers::Dense(16, _activation = "relu", _input_shape = Shape{8}),
                           layers::Dense(4, _activation = "softmax")});
  std::vector<keras::KerasTensor> outputs;
  for (const auto& layer : model.layers()) outputs.push_back(layer->output());
  keras::Model model_ex(model.inputs(), outputs);
  const Tensor x = random::uniform({5, 8});
  const std::vector<Tensor> both = model_ex(std::vector<Tensor>{x});
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].shape(), Shape({5, 16}));
  expect_close(values_of(both[1]), values_of(model(x)), 1e-6, "same weights, same result");
  // A sub-model up to the first layer shares its weights.
  keras::Model first(model.inputs(), model.layers()[0]->output());
  expect_close(values_of(first(x)), values_of(both[0]), 1e-6, "sub-model");
  model.layers()[0]->weights()[1].assign_add(constant(1.0, Shape{16}));
  expect_close(values_of(first(x)), values_of(model_ex(std::vector<Tensor>{x})[0]), 1e-6,
               "shared after update");
  EXPECT_EQ(first.trainable_variables().size(), 2u);
}

TEST_P(Models, OneLayerInTwoModelsSharesItsWeights) {
  auto shared = layers::Dense(3, _input_shape = Shape{4});
  keras::Sequential a({shared, layers::Dense(1)});
  keras::Sequential b({shared, layers::Dense(2)});
  EXPECT_EQ(a.layers()[0]->weights()[0].id(), b.layers()[0]->weights()[0].id());
  shared->weights()[0].assign(ones({4, 3}));
  const Tensor x = ones({1, 4});
  EXPECT_EQ(a.layers()[0]->operator()(x).to_vector<float>(), (std::vector<float>{4, 4, 4}));
  EXPECT_EQ(b.layers()[0]->operator()(x).to_vector<float>(), (std::vector<float>{4, 4, 4}));
  // Both models train the same variable; each lists it once.
  EXPECT_EQ(a.trainable_variables().size(), 4u);
  auto square = layers::Dense(4, _input_shape = Shape{4});
  keras::Sequential twice({square, square});
  EXPECT_EQ(twice.trainable_variables().size(), 2u);
  expect_error<ShapeError>(
      [&] {
        keras::Sequential({shared, shared});
      },
      {shared->name(), "4", "(None, 3)"});
}

TEST_P(Models, NestedModelsAndFrozenLayers) {
  auto inner = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
      layers::Dense(6, _activation = "relu", _input_shape = Shape{4})});
  keras::Sequential outer({inner, layers::Dense(2)});
  (void)outer(ones({3, 4}));
  EXPECT_EQ(outer.trainable_variables().size(), 4u);
  inner->set_trainable(false);  // model.trainable = False in the lesson
  EXPECT_EQ(outer.trainable_variables().size(), 2u);
  EXPECT_EQ(outer.non_trainable_weights().size(), 2u);
  // Training touches only the outer layer.
  optim::SGD sgd(_learning_rate = 0.1);
  const auto before = values_of(inner->weights()[0].value());
  GradientTape tape;
  const Tensor loss = reduce_sum(outer(ones({3, 4})));
  sgd.apply_gradients(tape.gradient(loss, outer.trainable_variables()),
                      outer.trainable_variables());
  EXPECT_EQ(values_of(inner->weights()[0].value()), before);
}

keras::Sequential make_mlp() {  // a model returned from a function, as Python does
  return keras::Sequential(
      {keras::Input({4}), layers::Dense(3, _activation = "relu"), layers::Dense(1)});
}

TEST_P(Models, ModelsOnTheStackNestAndAreReturnedFromFunctions) {
  // A stack model in a Sequential is the model itself, as a Python name is.
  keras::Sequential inner({keras::Input({8}), layers::Dense(4)});
  keras::Sequential outer({keras::Input({8}), inner, layers::Dense(2)});
  EXPECT_EQ(outer.layers()[0].get(), &inner);
  EXPECT_EQ(outer.trainable_variables()[0].id(), inner.trainable_variables()[0].id());
  std::ostringstream printed;
  printed << outer.layers() << " " << layers::Dense(3);
  EXPECT_EQ(printed.str(),  // Keras 3 (tests/golden/lesson_semantics.py)
            "[<Sequential name=sequential, built=True>, <Dense name=dense_1, built=True>] "
            "<Dense name=dense_2, built=False>");
  // A stack functional model is called on symbolic tensors (lesson 11's encoder and decoder).
  const keras::KerasTensor enc_input = keras::Input({8});
  keras::Model encoder(enc_input, layers::Dense(3)(enc_input), "encoder");
  const keras::KerasTensor x = keras::Input({8});
  keras::Model autoencoder(x, layers::Dense(8)(encoder(x)), "autoencoder");
  EXPECT_EQ(autoencoder.get_layer("encoder").get(), &encoder);
  const Tensor data = random::uniform({5, 8});
  expect_close(values_of(encoder(data)), values_of(autoencoder.layers()[1]->operator()(data)), 0,
               "the same encoder");
  keras::Model encoder_again(enc_input, encoder.outputs()[0]);
  EXPECT_EQ(encoder_again.trainable_variables()[0].id(), encoder.trainable_variables()[0].id());
  // Returned from a function, compiled and trained.
  keras::Sequential model = make_mlp();
  model.compile(_optimizer = "sgd", _loss = "mse");
  EXPECT_EQ(model.fit(ones({4, 4}), zeros({4, 1}), _epochs = 2, _verbose = 0).epoch.size(), 2u);
  // keras.layers.Input is keras.Input; an InputLayer can head a Sequential list as in Keras.
  static_assert(std::is_same_v<decltype(layers::Input({2})), keras::KerasTensor>);
  keras::Sequential headed({layers::InputLayer({3}), layers::Dense(2)});
  EXPECT_EQ(headed.outputs()[0].shape(), Shape({-1, 2}));
}

TEST(ModelsDeathTest, AStackModelDestroyedBeforeItsUsersStopsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        keras::clear_session();
        keras::Handle<keras::Sequential> outer;
        {
          keras::Sequential inner({keras::Input({2}), layers::Dense(1)}, "inner");
          outer = keras::make<keras::Sequential>(
              std::vector<keras::SequentialItem>{keras::Input({2}), inner});
        }  // inner goes while outer still uses it
      },
      "layer 'inner' was destroyed while [0-9]+ reference");
}

TEST_P(Models, ShapeErrorsNameTheLayerWhenTheGraphIsBuilt) {
  auto inputs = keras::Input({10});
  auto h = layers::Dense(5, _name = "hidden")(inputs);
  expect_error<ShapeError>(
      [&] {
        layers::Reshape({2, 2}, _name = "squeeze_it")(h);
      },
      {"squeeze_it", "Reshape", "(None, 5)"});
  keras::Model model(inputs, h);
  expect_error<ShapeError>([&] { model(ones({2, 7})); }, {"input", "(None, 10)", "(2, 7)"});
  auto other = keras::Input({3});
  expect_error<Error>([&] { keras::Model(inputs, layers::Dense(1)(other)); }, {"disconnected"});
}

// A subclassed model: layers as members, Dropout sees the training flag of the outer call.
struct NeuralNetwork : keras::Model {
  keras::Handle<layers::DenseLayer> layer_1 = track(layers::Dense(32, _activation = "relu"));
  keras::Handle<layers::DropoutLayer> dropout = track(layers::Dropout(0.5, _seed = 3));
  keras::Handle<layers::DenseLayer> layer_2 = track(layers::Dense(10, _activation = "softmax"));
  Tensor call(const Tensor& x) override { return layer_2(dropout(layer_1(x))); }
};

TEST_P(Models, SubclassedModelsPropagateTraining) {
  auto model = keras::make<NeuralNetwork>();
  const Tensor x = random::uniform({64, 20});
  const Tensor a = model(x), b = model(x);
  EXPECT_EQ(a.to_vector<float>(), b.to_vector<float>());  // inference: no dropout
  const Tensor t = model(x, true);
  EXPECT_NE(t.to_vector<float>(), a.to_vector<float>());  // training: dropout active inside
  EXPECT_EQ(model->layers().size(), 3u);
  EXPECT_EQ(model->trainable_variables().size(), 4u);
  EXPECT_EQ(model->name(), "neural_network");
  expect_close(values_of(model->predict(x, _batch_size = 7, _verbose = 0)), values_of(a), 1e-6,
               "predict in batches of 7");
}

TEST_P(Models, GetLayerByName) {
  keras::Sequential model(
      {layers::Dense(3, _name = "a", _input_shape = Shape{2}), layers::Dense(1, _name = "b")});
  EXPECT_EQ(model.get_layer("b")->name(), "b");
  expect_error<Error>([&] { model.get_layer("c"); }, {"'c'", "a, b"});
}

INSTANTIATE_TEST_SUITE_P(Devices, Models, ::testing::ValuesIn(testing::all_devices()),
                         testing::device_name);

}  // namespace
}  // namespace ember
