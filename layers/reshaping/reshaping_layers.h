// Keras' image reshaping layers: UpSampling2D (nearest or bilinear) and ZeroPadding2D.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "core/ops/conv.h"
#include "core/optional.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::layers {

using keras::Handle;

struct UpSampling2DOptions {
  /// "nearest" (Keras' default: each pixel repeated) or "bilinear" (tf.image.resize's).
  std::string interpolation = "nearest";
  std::string name = "";
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// Upsamples by size: (batch, h, w, c) -> (batch, h·sh, w·sw, c), repeating pixels or
/// interpolating bilinearly.
class UpSampling2DLayer : public keras::Layer {
 public:
  explicit UpSampling2DLayer(Size2D size = 2, UpSampling2DOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "UpSampling2D"; }
  keras::Config get_config() const override;
  static Handle<UpSampling2DLayer> from_config(const keras::Config& config);

 private:
  Size2D size_;
  std::string interpolation_;
};
Handle<UpSampling2DLayer> UpSampling2D(Size2D size = 2, UpSampling2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, UpSampling2DOptions> &&
                              ...)) Handle<UpSampling2DLayer> UpSampling2D(Size2D size = 2,
                                                                           const K&... keywords) {
  return UpSampling2D(size, with_keywords<UpSampling2DOptions>(keywords...));
}

/// ((top, bottom), (left, right)) rows and columns of zeros; `1` is ((1, 1), (1, 1)) and
/// `{2, 3}` is ((2, 2), (3, 3)), as in Keras.
struct Padding2D {
  std::int64_t top = 1, bottom = 1, left = 1, right = 1;
  Padding2D(std::int64_t all)
      : top(all), bottom(all), left(all), right(all) {}  // NOLINT: Keras' int
  Padding2D(std::int64_t rows, std::int64_t columns)
      : top(rows), bottom(rows), left(columns), right(columns) {}
  Padding2D(std::array<std::int64_t, 2> rows, std::array<std::int64_t, 2> columns)
      : top(rows[0]), bottom(rows[1]), left(columns[0]), right(columns[1]) {}
};

/// Pads height and width with zeros: (batch, h, w, c) -> (batch, top + h + bottom, left + w +
/// right, c).
class ZeroPadding2DLayer : public keras::Layer {
 public:
  explicit ZeroPadding2DLayer(Padding2D padding = 1, keras::LayerOptions options = {});
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override { return "ZeroPadding2D"; }
  keras::Config get_config() const override;
  static Handle<ZeroPadding2DLayer> from_config(const keras::Config& config);

 private:
  Padding2D padding_;
};
Handle<ZeroPadding2DLayer> ZeroPadding2D(Padding2D padding = 1, keras::LayerOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, keras::LayerOptions> &&
                              ...)) Handle<ZeroPadding2DLayer> ZeroPadding2D(Padding2D padding = 1,
                                                                             const K&... keywords) {
  return ZeroPadding2D(padding, with_keywords<keras::LayerOptions>(keywords...));
}

}  // namespace ember::layers
