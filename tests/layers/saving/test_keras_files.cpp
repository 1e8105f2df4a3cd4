// Keras' own files (layers/keras_files.h): .h5 models (lesson 16's "old format"), .keras archives,
// .weights.h5 and Keras 2 .h5 weights. Keras 3 wrote the fixtures in tests/data/keras_files
// (tests/golden/keras_files.py): ember must rebuild those models and predict what Keras
// predicted. Files ember writes must load again here, and in Keras
// (tests/golden/keras_reads_ember.py checks that where TensorFlow is installed).
#include <fstream>

#include "io/hdf5.h"
#include "io/zip.h"
#include "layers/saving/keras_files.h"
#include "tests/test_support.h"

using namespace ember;
using ember::testing::expect_close;
using ember::testing::expect_error;
using ember::testing::TempDir;
using ember::testing::values_of;

namespace {

#define REQUIRE_HDF5()       \
  if (!io::hdf5_available()) \
  GTEST_SKIP() << "this ember was built without HDF5 (install libhdf5-dev)"

std::string fixture(const std::string& name) {
  return ember::testing::test_data("keras_files/" + name);
}
using ember::testing::read_bytes;
using ember::testing::write_bytes;

/// Keras' prediction for the fixture model `name` (<name>_y.npy, or another file), against this
/// model's.
void expect_keras_prediction(keras::Model& model, const std::string& name,
                             const std::string& which = "_y.npy") {
  const Tensor x = io::load_npy(fixture(name + "_x.npy"));
  const Tensor expected = io::load_npy(fixture(name + which));
  const Tensor y = model.predict(x, _verbose = 0);
  ASSERT_EQ(y.shape(), expected.shape());
  expect_close(values_of(y), values_of(expected), 1e-5);
}

/// Every weight replaced by zeros, so a load that does nothing shows.
void zero_weights(keras::Model& model) {
  std::vector<Tensor> zeros_list;
  for (const Tensor& w : model.get_weights()) zeros_list.push_back(zeros_like(w));
  model.set_weights(zeros_list);
}

std::vector<std::vector<double>> weight_values(const keras::Model& model) {
  std::vector<std::vector<double>> out;
  for (const Tensor& w : model.get_weights()) out.push_back(values_of(w));
  return out;
}

class KerasFixture : public ::testing::TestWithParam<std::string> {};

// --- files Keras wrote --------------------------------------------------------------------------

TEST_P(KerasFixture, LoadsTheH5Model) {
  REQUIRE_HDF5();
  auto model = keras::load_model(fixture(GetParam() + ".h5"));
  expect_keras_prediction(*model, GetParam());
  EXPECT_TRUE(model->compiled());
}

TEST_P(KerasFixture, LoadsTheKerasArchive) {
  REQUIRE_HDF5();
  auto model = keras::load_model(fixture(GetParam() + ".keras"));
  expect_keras_prediction(*model, GetParam());
  EXPECT_TRUE(model->compiled());
}

TEST_P(KerasFixture, LoadsEveryWeightsFileIntoTheModel) {
  REQUIRE_HDF5();
  auto model = keras::load_model(fixture(GetParam() + ".keras"), _compile = false);
  EXPECT_FALSE(model->compiled());
  for (const std::string file : {".weights.h5", ".h5", ".keras"}) {
    SCOPED_TRACE(file);
    zero_weights(*model);
    model->load_weights(fixture(GetParam() + file));
    expect_keras_prediction(*model, GetParam());
  }
}

/// Loads `file`, takes one training step on <name>_x_next / <name>_t_next and checks the
/// prediction against <name>_y_next: Keras' own next step from the state the file holds.
void expect_keras_next_step(const std::string& file, const std::string& name) {
  SCOPED_TRACE(file);
  auto model = keras::load_model(fixture(file));
  EXPECT_EQ(model->optimizer().iterations(), 1);
  const Tensor targets = io::load_npy(fixture(name + "_t_next.npy"));
  model->fit(io::load_npy(fixture(name + "_x_next.npy")), targets, _batch_size = targets.shape(0),
             _epochs = 1, _verbose = 0, _shuffle = false);
  EXPECT_EQ(model->optimizer().iterations(), 2);
  expect_keras_prediction(*model, name, "_y_next.npy");
}

TEST_P(KerasFixture, ResumesKerasTrainingWhereItStopped) {
  REQUIRE_HDF5();
  // Both files hold the optimizer's slots and step count (Adam's moments, SGD's momentum): one
  // more step here must land where Keras' own next step did.
  expect_keras_next_step(GetParam() + ".keras", GetParam());
  expect_keras_next_step(GetParam() + ".h5", GetParam());
}

INSTANTIATE_TEST_SUITE_P(KerasFiles, KerasFixture, ::testing::Values("conv", "stacked"));

class KerasOptimizerState : public ::testing::TestWithParam<std::string> {};

TEST_P(KerasOptimizerState, ContinuesKerasTrajectory) {
  REQUIRE_HDF5();
  // Keras trained a two-layer model two steps and saved it; one more step here must land where
  // Keras' third step did: every slot came back in Keras' order.
  auto model = keras::load_model(fixture("opt_" + GetParam() + ".keras"));
  EXPECT_EQ(model->optimizer().iterations(), 2);
  model->fit(io::load_npy(fixture("opt_x_next.npy")), io::load_npy(fixture("opt_t_next.npy")),
             _batch_size = 6, _epochs = 1, _verbose = 0, _shuffle = false);
  const Tensor y = model->predict(io::load_npy(fixture("opt_x.npy")), _verbose = 0);
  expect_close(values_of(y), values_of(io::load_npy(fixture("opt_" + GetParam() + "_y_next.npy"))),
               1e-5);
}

INSTANTIATE_TEST_SUITE_P(KerasFiles, KerasOptimizerState,
                         ::testing::Values("sgd_nesterov", "rmsprop_centered", "adagrad",
                                           "adadelta", "adam_amsgrad", "adamw", "nadam", "adamax",
                                           "adam_schedule"));

TEST(KerasFiles, ACompileConfigWithoutOptimizerCompilesWithKerasDefault) {
  REQUIRE_HDF5();
  // Keras 3.15 drops the optimizer from a .keras file's compile_config once the same model was
  // saved as .h5; its load_model then compiles with compile()'s default, rmsprop. So does ember.
  const TempDir dir;
  std::vector<io::ZipEntry> entries = io::read_zip(fixture("conv.keras"));
  for (io::ZipEntry& entry : entries) {
    if (entry.name != "config.json") continue;
    keras::Config config = keras::Config::parse(entry.data);
    config["compile_config"].erase("optimizer");
    entry.data = config.dump();
  }
  io::write_zip(dir / "no_optimizer.keras", entries);
  auto model = keras::load_model(dir / "no_optimizer.keras");
  EXPECT_EQ(model->optimizer().class_name(), "RMSprop");
  EXPECT_NEAR(model->optimizer().learning_rate(), 0.001, 1e-9);
  expect_keras_prediction(*model, "conv");
}

TEST(KerasFiles, LoadsAModelOfEveryLayerClassEmberHas) {
  REQUIRE_HDF5();
  // Conv2D with a regularizer, BatchNormalization, DepthwiseConv2D, SeparableConv2D, the five
  // merges, Concatenate, pooling, Conv2DTranspose, UpSampling2D, ZeroPadding2D, Dense,
  // LayerNormalization, Dropout, Activation, Reshape, Flatten and an int32 Embedding input.
  auto model = keras::load_model(fixture("zoo.keras"));
  const std::vector<Tensor> x = {io::load_npy(fixture("zoo_x0.npy")),
                                 io::load_npy(fixture("zoo_x1.npy"))};
  const std::vector<Tensor> y = model->predict(x, _verbose = 0);
  ASSERT_EQ(y.size(), 1u);
  const Tensor expected = io::load_npy(fixture("zoo_y.npy"));
  ASSERT_EQ(y[0].shape(), expected.shape());
  expect_close(values_of(y[0]), values_of(expected), 1e-5);
  EXPECT_EQ(model->layers().size(), 30u);  // as in the file's config.json, inputs included
}

TEST(KerasFiles, LoadsKeras2H5Models) {
  REQUIRE_HDF5();
  // tf_keras (Keras 2, the lessons' TensorFlow 2.x) wrote these: batch_input_shape, nested
  // inbound_nodes, BatchNormalization's axis as [3], "Custom>Adam", metrics as MeanMetricWrapper.
  for (const std::string name : {"keras2_functional", "keras2_sequential"}) {
    SCOPED_TRACE(name);
    auto model = keras::load_model(fixture(name + ".h5"));
    expect_keras_prediction(*model, name);
    EXPECT_TRUE(model->compiled());
  }
  EXPECT_EQ(keras::load_model(fixture("keras2_functional.h5"))->optimizer().class_name(), "Adam");
  EXPECT_EQ(keras::load_model(fixture("keras2_sequential.h5"))->optimizer().class_name(), "SGD");
  // tf_keras' Adam state ([iteration, m, v, ...], no learning-rate variable) resumes exactly.
  expect_keras_next_step("keras2_functional.h5", "keras2_functional");
  expect_keras_next_step("keras2_rmsprop.h5", "keras2_rmsprop");  // centered, with momentum
  // Two outputs, a metric for the second only: [[null], [{"name": "b_mae", ...}]].
  ::testing::internal::CaptureStderr();
  auto two = keras::load_model(fixture("keras2_two_outputs.h5"));
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_TRUE(two->compiled());
  EXPECT_EQ(two->optimizer().class_name(), "RMSprop");
}

TEST(KerasFiles, KeepsKerasNamesAndCompileArguments) {
  REQUIRE_HDF5();
  for (const std::string file : {"conv.h5", "conv.keras"}) {
    SCOPED_TRACE(file);
    auto model = keras::load_model(fixture(file));
    EXPECT_EQ(model->name(), "conv_net");
    EXPECT_EQ(model->get_layer("norm")->class_name(), "BatchNormalization");
    EXPECT_EQ(model->optimizer().class_name(), "Adam");
    EXPECT_NEAR(model->optimizer().learning_rate(), 0.01, 1e-9);
  }
  auto stacked = keras::load_model(fixture("stacked.h5"));
  EXPECT_EQ(stacked->optimizer().class_name(), "SGD");
  auto inner = std::dynamic_pointer_cast<keras::Model>(stacked->get_layer("inner").shared());
  ASSERT_TRUE(inner);
  EXPECT_FALSE(inner->get_layer("inner_norm")->trainable());
}

// --- files ember writes -------------------------------------------------------------------------

/// A compiled functional model with a nested Sequential, a frozen BatchNormalization (moving
/// statistics away from their initial values after one training step) and a Conv2D.
keras::Handle<keras::Model> trained_model() {
  random::set_seed(3);
  auto block = keras::make<keras::Sequential>(
      std::vector<keras::SequentialItem>{
          layers::Conv2D(3, 3, _activation = "relu", _padding = "same", _name = "conv"),
          layers::BatchNormalization(_name = "norm")},
      "block");
  auto inputs = keras::Input({5, 5, 2}, _name = "image");
  auto h = layers::GlobalAveragePooling2D(_name = "pool")((*block)(inputs));
  auto outputs = layers::Dense(4, _activation = "softmax", _name = "probabilities")(h);
  auto model = keras::make<keras::Model>(inputs, outputs, "net");
  model->compile(_optimizer = optim::Adam(_learning_rate = 0.02),
                 _loss = "sparse_categorical_crossentropy", _metrics = {"accuracy"});
  model->fit(random::normal({6, 5, 5, 2}), constant<std::int32_t>({0, 1, 2, 3, 0, 1}),
             _batch_size = 6, _epochs = 1, _verbose = 0);
  return model;
}

class EmberWrites : public ::testing::TestWithParam<std::string> {};

TEST_P(EmberWrites, AModelThatLoadsWithItsPredictionsAndCompileArguments) {
  REQUIRE_HDF5();
  const TempDir dir;
  auto model = trained_model();
  const Tensor x = random::normal({3, 5, 5, 2});
  const std::string path = dir / ("model" + GetParam());
  model->save(path);
  auto again = keras::load_model(path);
  EXPECT_EQ(values_of(again->predict(x, _verbose = 0)), values_of(model->predict(x, _verbose = 0)));
  EXPECT_EQ(weight_values(*again), weight_values(*model));
  ASSERT_TRUE(again->compiled());
  EXPECT_EQ(again->optimizer().class_name(), "Adam");
  EXPECT_NEAR(again->optimizer().learning_rate(), 0.02, 1e-9);
  auto block = std::dynamic_pointer_cast<keras::Model>(again->get_layer("block").shared());
  ASSERT_TRUE(block);
  EXPECT_EQ(block->get_layer("norm")->class_name(), "BatchNormalization");
}

INSTANTIATE_TEST_SUITE_P(KerasFiles, EmberWrites, ::testing::Values(".h5", ".keras", ".hdf5"));

TEST(KerasFiles, BothModelFilesKeepTheOptimizerStateUnlessAskedNot) {
  REQUIRE_HDF5();
  const TempDir dir;
  auto model = trained_model();
  model->save(dir / "m.keras");
  model->save(dir / "m.h5");
  model->save(dir / "bare.h5", _include_optimizer = false);
  auto from_archive = keras::load_model(dir / "m.keras");
  auto from_h5 = keras::load_model(dir / "m.h5");
  auto bare = keras::load_model(dir / "bare.h5");
  // One more step on the same batch: the loaded models move exactly as the original (Adam's
  // moments and step count came back), the one saved without them starts Adam afresh.
  const Tensor x = random::normal({6, 5, 5, 2});
  const Tensor y = constant<std::int32_t>({3, 2, 1, 0, 3, 2});
  for (auto* m : {model.get(), from_archive.get(), from_h5.get(), bare.get()}) {
    m->fit(x, y, _batch_size = 6, _epochs = 1, _verbose = 0, _shuffle = false);
  }
  EXPECT_EQ(from_archive->optimizer().iterations(), model->optimizer().iterations());
  EXPECT_EQ(weight_values(*from_archive), weight_values(*model));
  EXPECT_EQ(from_h5->optimizer().iterations(), model->optimizer().iterations());
  EXPECT_EQ(weight_values(*from_h5), weight_values(*model));
  EXPECT_EQ(bare->optimizer().iterations(), 1);
  EXPECT_NE(weight_values(*bare), weight_values(*model));
}

TEST(KerasFiles, WeightsFilesRoundTripIntoAFreshModel) {
  REQUIRE_HDF5();
  const TempDir dir;
  auto model = trained_model();
  const Tensor x = random::normal({2, 5, 5, 2});
  for (const std::string file : {"w.weights.h5", "w.h5"}) {
    SCOPED_TRACE(file);
    model->save_weights(dir / file);
    auto fresh = keras::model_from_json(model->to_json());
    fresh->load_weights(dir / file);
    EXPECT_EQ(values_of(fresh->predict(x, _verbose = 0)),
              values_of(model->predict(x, _verbose = 0)));
  }
  // Keras 3 keeps a compiled model's optimizer in .weights.h5 too, and load_weights restores it.
  auto compiled = keras::model_from_json(model->to_json());
  compiled->compile(_optimizer = optim::Adam(_learning_rate = 0.02),
                    _loss = "sparse_categorical_crossentropy");
  compiled->load_weights(dir / "w.weights.h5");
  EXPECT_EQ(compiled->optimizer().iterations(), model->optimizer().iterations());
  auto from_keras = keras::load_model(fixture("conv.keras"), _compile = false);
  from_keras->compile(_optimizer = optim::Adam(_learning_rate = 0.01),
                      _loss = "sparse_categorical_crossentropy");
  from_keras->load_weights(fixture("conv.weights.h5"));
  EXPECT_EQ(from_keras->optimizer().iterations(), 1);
}

TEST(KerasFiles, ArchiveHoldsKerasLayout) {
  REQUIRE_HDF5();
  const TempDir dir;
  trained_model()->save(dir / "m.keras");
  const std::vector<io::ZipEntry> entries = io::read_zip(dir / "m.keras");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "metadata.json");
  EXPECT_EQ(entries[1].name, "config.json");
  EXPECT_EQ(entries[2].name, "model.weights.h5");
  const keras::Config config = keras::Config::parse(entries[1].data);
  EXPECT_EQ(config["module"], "keras.src.models.functional");
  EXPECT_EQ(config["class_name"], "Functional");
  EXPECT_EQ(config["compile_config"]["optimizer"]["module"], "keras.optimizers");
  // Weights by Keras 3's paths: class names in snake_case, numbered per container.
  write_bytes(dir / "w.h5", entries[2].data);
  const io::H5Group weights = io::load_hdf5(dir / "w.h5");
  EXPECT_NE(weights.find_dataset("layers/sequential/layers/conv2d/vars/0"), nullptr);
  EXPECT_NE(weights.find_dataset("layers/sequential/layers/batch_normalization/vars/3"), nullptr);
  EXPECT_NE(weights.find_dataset("layers/dense/vars/1"), nullptr);
  EXPECT_NE(weights.find_group("layers/input_layer/vars"), nullptr);
  EXPECT_EQ(weights.find_group("layers/dense/vars")->string_attribute("name", "w.h5"),
            "probabilities");
}

TEST(KerasFiles, SnakeCaseMatchesKeras) {
  std::ifstream in(fixture("snake_case.txt"));
  std::string class_name, expected;
  int checked = 0;
  while (in >> class_name >> expected) {
    EXPECT_EQ(keras::detail::to_snake_case(class_name), expected) << class_name;
    ++checked;
  }
  EXPECT_GE(checked, 10);
}

TEST(KerasFiles, ModelCheckpointWritesKerasFilesByTheirNames) {
  REQUIRE_HDF5();
  const TempDir dir;
  auto model = trained_model();
  const Tensor x = random::normal({6, 5, 5, 2});
  const Tensor y = constant<std::int32_t>({3, 2, 1, 0, 3, 2});
  model->fit(
      x, y, _batch_size = 6, _epochs = 2, _verbose = 0,
      _callbacks = {callbacks::ModelCheckpoint(dir / "epoch{epoch}.keras", _monitor = "loss"),
                    callbacks::ModelCheckpoint(dir / "w.weights.h5", _monitor = "loss")});
  auto again = keras::load_model(dir / "epoch2.keras");
  EXPECT_EQ(weight_values(*again), weight_values(*model));
  again->load_weights(dir / "w.weights.h5");
  EXPECT_EQ(weight_values(*again), weight_values(*model));
  // Weights only into a .keras path is refused when the callback is made, not after an epoch.
  expect_error<Error>(
      [&] { callbacks::ModelCheckpoint(dir / "x.keras", _save_weights_only = true); },
      {"x.keras", ".weights.h5"});
}

// --- bad files and wrong calls ------------------------------------------------------------------

TEST(KerasFiles, MissingTruncatedAndForeignFilesAreIoErrors) {
  REQUIRE_HDF5();
  const TempDir dir;
  expect_error<IoError>([&] { keras::load_model(dir / "missing.h5"); },
                        {"missing.h5", "no such file"});
  expect_error<IoError>([&] { keras::load_model(dir / "missing.keras"); },
                        {"missing.keras", "no such file"});
  write_bytes(dir / "text.h5", "not an hdf5 file at all");
  expect_error<IoError>([&] { keras::load_model(dir / "text.h5"); },
                        {"text.h5", "not an HDF5 file"});
  const std::string h5 = read_bytes(fixture("conv.h5"));
  write_bytes(dir / "cut.h5", h5.substr(0, h5.size() / 2));
  EXPECT_THROW(keras::load_model(dir / "cut.h5"), IoError);
  const std::string archive = read_bytes(fixture("conv.keras"));
  write_bytes(dir / "cut.keras", archive.substr(0, archive.size() - 30));
  expect_error<IoError>([&] { keras::load_model(dir / "cut.keras"); }, {"cut.keras", "zip"});
  std::string flipped = archive;
  flipped[archive.find("Conv2D")] = 'X';  // inside config.json, whose CRC no longer fits
  write_bytes(dir / "flipped.keras", flipped);
  expect_error<IoError>([&] { keras::load_model(dir / "flipped.keras"); },
                        {"flipped.keras", "CRC-32"});
  write_bytes(dir / "text.keras", "PK but no archive");
  expect_error<IoError>([&] { keras::load_model(dir / "text.keras"); },
                        {"text.keras", "not a zip"});
}

TEST(KerasFiles, HostileHdf5FilesAreRefusedBeforeAnyHarm) {
  REQUIRE_HDF5();
  // h5py wrote these (tests/golden/keras_files.py): a soft link to the root, a group linked into
  // itself, and a dataset of 4 TiB with nothing stored.
  expect_error<IoError>([&] { io::load_hdf5(fixture("bad_soft_link.h5")); },
                        {"bad_soft_link.h5", "/layers/up", "link"});
  expect_error<IoError>([&] { io::load_hdf5(fixture("bad_cycle.h5")); },
                        {"bad_cycle.h5", "nested deeper"});
  expect_error<IoError>([&] { io::load_hdf5(fixture("bad_no_storage.h5")); },
                        {"bad_no_storage.h5", "/huge", "stored"});
}

TEST(KerasFiles, ReadsFixedLengthUtf8Attributes) {
  REQUIRE_HDF5();
  const io::H5Group root = io::load_hdf5(fixture("utf8_fixed.h5"));
  EXPECT_EQ(root.list_attribute("names", "utf8_fixed.h5"),
            (std::vector<std::string>{"dense", "r\xc3\xa9sum\xc3\xa9"}));
  EXPECT_EQ(root.string_attribute("title", "utf8_fixed.h5"), "ember");
}

TEST(KerasFiles, WeightsOfAnotherModelAreRefusedAndChangeNothing) {
  REQUIRE_HDF5();
  auto stacked = keras::load_model(fixture("stacked.keras"), _compile = false);
  const auto before = weight_values(*stacked);
  expect_error<Error>([&] { stacked->load_weights(fixture("conv.weights.h5")); },
                      {"conv.weights.h5", "no weights for layer"});
  expect_error<Error>([&] { stacked->load_weights(fixture("conv.h5")); },
                      {"conv.h5", "weights, the file has"});
  // Same layers, one shape differs: a ShapeError, and nothing is assigned.
  auto inputs = keras::Input({6, 6, 3});
  auto h = layers::Conv2D(4, 3, _activation = "relu", _padding = "same")(inputs);
  h = layers::GlobalAveragePooling2D()(layers::BatchNormalization()(h));
  auto wider = keras::make<keras::Model>(inputs, layers::Dense(6)(h));
  const auto wider_before = weight_values(*wider);
  EXPECT_THROW(wider->load_weights(fixture("conv.weights.h5")), ShapeError);
  EXPECT_THROW(wider->load_weights(fixture("conv.h5")), ShapeError);
  EXPECT_EQ(weight_values(*wider), wider_before);
  EXPECT_EQ(weight_values(*stacked), before);
}

TEST(KerasFiles, WrongCallsForTheFileKindAreErrors) {
  REQUIRE_HDF5();
  const TempDir dir;
  auto model = trained_model();
  expect_error<Error>([&] { model->save_weights(dir / "w.keras"); },
                      {"w.keras", "whole model", "save()"});
  expect_error<Error>([&] { model->save(dir / "m.weights.h5"); }, {"m.weights.h5", "save_weights"});
  model->save_weights(dir / "w.weights.h5");
  expect_error<Error>([&] { keras::load_model(dir / "w.weights.h5"); },
                      {"w.weights.h5", "load_weights"});
  model->save(dir / "m.h5");
  expect_error<IoError>([&] { model->save(dir / "m.h5", _overwrite = false); }, {"m.h5", "exists"});
}

}  // namespace
