// Keras' dtype policies and mixed precision in layers: the policy names and their configs, the
// global policy, variables kept float32 and read in the compute dtype, inputs cast, layers that
// compute in float32 (batch normalization, an output with dtype "float32"), gradients reaching
// the float32 variables, and Keras 3.15's files made under mixed_bfloat16 (tests/golden/
// mixed_precision.py wrote them, with Keras' predictions and values).
#include <fstream>

#include "tests/test_support.h"

namespace ember {
namespace {

using keras::DTypePolicy;
using testing::expect_error;
using testing::test_data;

keras::Config golden(const std::string& name) {
  std::ifstream in(test_data("mixed_precision/" + name));
  return keras::Config::parse(in);
}

// Each test sets the global policy it needs; this puts float32 back afterwards.
class MixedPrecision : public ::testing::Test {
 protected:
  void TearDown() override { keras::mixed_precision::set_global_policy("float32"); }
};

TEST_F(MixedPrecision, PoliciesNameTheirDtypes) {
  const DTypePolicy mixed("mixed_bfloat16");
  EXPECT_EQ(mixed.compute_dtype(), bfloat16);
  EXPECT_EQ(mixed.variable_dtype(), float32);
  EXPECT_TRUE(mixed.mixed());
  EXPECT_EQ(DTypePolicy("mixed_float16").compute_dtype(), float16);
  EXPECT_EQ(DTypePolicy("bfloat16").variable_dtype(), bfloat16);
  EXPECT_FALSE(DTypePolicy(float64).mixed());
  EXPECT_EQ(DTypePolicy().name(), "float32");
  expect_error<Error>([] { DTypePolicy("mixed_int8"); }, {"mixed_int8", "mixed_bfloat16"});
  // As Keras 3.15 writes a layer's dtype.
  EXPECT_EQ(mixed.get_config(), golden("dense_values.json")["config_dtype"]);
  EXPECT_EQ(DTypePolicy::from_config(mixed.get_config()), mixed);
  EXPECT_EQ(DTypePolicy::from_config(keras::Config("float64")).name(), "float64");
  expect_error<Error>([] { DTypePolicy::from_config(keras::Config(3)); }, {"dtype", "3"});
}

TEST_F(MixedPrecision, TheGlobalPolicyIsTakenWhenALayerIsMade) {
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  EXPECT_EQ(keras::mixed_precision::global_policy().name(), "mixed_bfloat16");
  auto mixed = layers::Dense(2);
  auto own = layers::Dense(2, {.dtype = "float32"});
  keras::mixed_precision::set_global_policy("float32");
  auto later = layers::Dense(2);
  EXPECT_EQ(mixed->dtype_policy().name(), "mixed_bfloat16");
  EXPECT_EQ(own->dtype_policy().name(), "float32");
  EXPECT_EQ(later->dtype_policy().name(), "float32");
  EXPECT_EQ(mixed->get_config()["dtype"], golden("dense_values.json")["config_dtype"]);
}

// Keras 3.15: Dense(2) under mixed_bfloat16 with these weights gives bfloat16 [2.21875, 2.796875]
// for [1, 2, 3] (the product and the bias add each rounded to bfloat16).
TEST_F(MixedPrecision, ADenseLayerComputesInBFloat16WithFloat32Weights) {
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  auto dense = layers::Dense(2);
  const Tensor x = constant({1.0f, 2.0f, 3.0f}, Shape{1, 3});
  (*dense)(x);
  dense->set_weights(
      {constant({0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f}, Shape{3, 2}), constant({0.01f, -0.02f})});
  EXPECT_EQ(dense->kernel.dtype(), float32);
  const Tensor y = (*dense)(x);
  EXPECT_EQ(y.dtype(), bfloat16);
  const keras::Config expected = golden("dense_values.json");
  EXPECT_EQ(expected["dtype"], "bfloat16");
  EXPECT_EQ(y.to_vector<float>(), expected["values"].get<std::vector<float>>());
}

TEST_F(MixedPrecision, GradientsReachTheFloat32Variables) {
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  auto dense = layers::Dense(3);
  const Tensor x = constant(testing::to_float(testing::random_values(12, -1, 1, 3)), Shape{4, 3});
  (*dense)(x);
  GradientTape tape;
  const Tensor loss = reduce_sum(cast((*dense)(x), float32));
  const auto g = tape.gradient(loss, {dense->kernel, dense->bias});
  ASSERT_TRUE(g[0].has_value() && g[1].has_value());
  EXPECT_EQ(g[0]->dtype(), float32);
  // d loss / d kernel[k, j] = sum over rows of x[:, k] (in bfloat16: within 4 roundings of 2^-8).
  const std::vector<float> xs = x.to_vector<float>(), gk = g[0]->to_vector<float>();
  for (int k = 0; k < 3; ++k) {
    double column = 0;
    for (int r = 0; r < 4; ++r) column += xs[r * 3 + k];
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(gk[k * 3 + j], column, 4 * 0x1p-8 * 4) << k;
  }
  EXPECT_EQ(g[1]->to_vector<float>(), (std::vector<float>{4, 4, 4}));
}

TEST_F(MixedPrecision, LayersCastTheirInputsAsKerasDoes) {
  // float32 policy: float64 inputs are cast to float32 (Keras 3 converts floating inputs).
  auto plain = layers::Dense(2);
  EXPECT_EQ((*plain)(ones({1, 3}, float64)).dtype(), float32);
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  auto softmax = layers::Activation("softmax", {.dtype = "float32"});
  EXPECT_EQ((*softmax)(ones({1, 3}, bfloat16)).dtype(), float32);
  auto embedding = layers::Embedding(4, 2);
  EXPECT_EQ((*embedding)(constant({1, 2})).dtype(), bfloat16);
  EXPECT_EQ(embedding->embeddings.dtype(), float32);
  // Integer inputs are left alone (the embedding's indices).
  auto flatten = layers::Flatten();
  EXPECT_EQ((*flatten)(ones({2, 2}, int32)).dtype(), int32);
}

TEST_F(MixedPrecision, BatchNormalizationNormalizesInFloat32) {
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  auto bn = layers::BatchNormalization();
  const Tensor x = cast(constant({1.0f, 2.0f, 3.0f, 5.0f}, Shape{4, 1}), bfloat16);
  const Tensor y = (*bn)(x, true);
  EXPECT_EQ(y.dtype(), bfloat16);
  for (const Variable& w : bn->weights()) EXPECT_EQ(w.dtype(), float32) << w.name();
  // mean 2.75, biased variance 2.1875, epsilon 1e-3: y = (x - mean) / sqrt(var + eps), rounded.
  const std::vector<float> got = y.to_vector<float>();
  const float values[] = {1, 2, 3, 5};
  for (int i = 0; i < 4; ++i) {
    const double expected = (values[i] - 2.75) / std::sqrt(2.1875 + 1e-3);
    EXPECT_NEAR(got[i], expected, 0x1p-8 * std::fabs(expected) + 1e-6) << i;
  }
  // The moving mean moved in float32: 0.99 * 0 + 0.01 * 2.75.
  EXPECT_NEAR(bn->moving_mean.value().item<float>(), 0.0275f, 1e-7);
}

TEST_F(MixedPrecision, SymbolicTensorsCarryTheComputeDtype) {
  keras::mixed_precision::set_global_policy("mixed_bfloat16");
  const keras::KerasTensor input = keras::Input({4});
  const keras::KerasTensor hidden = (*layers::Dense(3))(input);
  const keras::KerasTensor output = (*layers::Activation("softmax", {.dtype = "float32"}))(hidden);
  EXPECT_EQ(input.dtype(), float32);
  EXPECT_EQ(hidden.dtype(), bfloat16);
  EXPECT_EQ(output.dtype(), float32);
  keras::Model model(input, output);
  EXPECT_EQ(model.predict(ones({2, 4})).dtype(), float32);
}

// Keras 3.15 made, trained and saved these under mixed_bfloat16; ember reads each layer's policy
// from its config and predicts what Keras predicted.
class KerasMixedFiles : public MixedPrecision, public ::testing::WithParamInterface<std::string> {};

TEST_P(KerasMixedFiles, LoadAndPredictAsInKeras) {
  if (!io::hdf5_available()) GTEST_SKIP() << "built without HDF5";
  auto model = keras::load_model(test_data("mixed_precision/mixed_bfloat16" + GetParam()));
  EXPECT_EQ(model->get_layer("dense")->dtype_policy().name(), "mixed_bfloat16");
  EXPECT_EQ(model->get_layer("activation")->dtype_policy().name(), "float32");
  for (const Variable& w : model->weights()) EXPECT_EQ(w.dtype(), float32) << w.path();
  const Tensor x = io::load_npy(test_data("mixed_precision/mixed_bfloat16_x.npy"));
  const std::vector<float> expected =
      io::load_npy(test_data("mixed_precision/mixed_bfloat16_y.npy")).to_vector<float>();
  const Tensor y = model->predict(x);
  EXPECT_EQ(y.dtype(), float32);
  const std::vector<float> got = y.to_vector<float>();
  ASSERT_EQ(got.size(), expected.size());
  // The logits are bfloat16 in both: a last-place difference (2^-7 relative) in one changes a
  // probability by about that much.
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 0x1p-7) << i;
}

INSTANTIATE_TEST_SUITE_P(Files, KerasMixedFiles, ::testing::Values(".keras", ".h5"));

}  // namespace
}  // namespace ember
