// Keras' BatchNormalization layer.
#pragma once

#include <optional>
#include <string>

#include "core/optional.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::layers {

using keras::Handle;

struct BatchNormalizationOptions {
  /// The feature axis (one statistic per entry of it); -1, the channels of NHWC images.
  std::int64_t axis = -1;
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;  // learn an offset beta
  bool scale = true;   // learn a factor gamma
  initializers::InitializerRef beta_initializer = "zeros";
  initializers::InitializerRef gamma_initializer = "ones";
  initializers::InitializerRef moving_mean_initializer = "zeros";
  initializers::InitializerRef moving_variance_initializer = "ones";
  regularizers::RegularizerRef beta_regularizer = {};
  regularizers::RegularizerRef gamma_regularizer = {};
  std::string name = "";
  bool trainable = true;
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// Keras 3's BatchNormalization. Called with training = true on a trainable layer it normalizes
/// with the batch's mean and (biased) variance over every axis but `axis`, and updates the
/// non-trainable moving statistics: moving = moving · momentum + batch · (1 − momentum).
/// Otherwise (inference, or a frozen layer, as in Keras) it normalizes with the moving
/// statistics and changes nothing. Weights, in Keras' order: gamma, beta (trainable),
/// moving_mean, moving_variance (non-trainable). Under a mixed policy the weights stay float32 and
/// the normalization runs in float32, as Keras 3 does.
class BatchNormalizationLayer : public keras::Layer {
 public:
  explicit BatchNormalizationLayer(BatchNormalizationOptions options = {});
  void build(const Shape& input_shape) override;
  Tensor call(const Tensor& inputs, bool training) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "BatchNormalization"; }
  keras::Config get_config() const override;
  static Handle<BatchNormalizationLayer> from_config(const keras::Config& config);

  Variable gamma, beta, moving_mean, moving_variance;

 private:
  Tensor normalize(const Tensor& x, bool training);

  BatchNormalizationOptions options_;
  int axis_ = -1;
};
Handle<BatchNormalizationLayer> BatchNormalization(BatchNormalizationOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, BatchNormalizationOptions> &&
          ...)) Handle<BatchNormalizationLayer> BatchNormalization(const K&... keywords) {
  return BatchNormalization(with_keywords<BatchNormalizationOptions>(keywords...));
}

}  // namespace ember::layers
