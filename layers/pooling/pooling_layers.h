// The Keras pooling layers: MaxPooling2D, AveragePooling2D (pool_size 2, strides = pool_size,
// padding "valid" by default), GlobalAveragePooling2D and GlobalMaxPooling2D, on NHWC images.
#pragma once

#include <optional>
#include <string>

#include "core/ops/pool.h"
#include "core/optional.h"
#include "layers/engine/layer.h"
#include "layers/keywords.h"

namespace ember::layers {

using keras::Handle;

struct Pooling2DOptions {
  /// The step between windows; pool_size when absent (Keras' default).
  Optional<Size2D> strides = std::nullopt;
  std::string padding = "valid";
  std::string name = "";
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// Max or average pooling over windows of pool_size: (batch, h, w, c) -> (batch, oh, ow, c).
class Pooling2DLayer : public keras::Layer {
 public:
  Pooling2DLayer(PoolMode mode, Size2D pool_size, Pooling2DOptions options);
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override;
  keras::Config get_config() const override;
  static Handle<Pooling2DLayer> from_config(PoolMode mode, const keras::Config& config);

 private:
  PoolMode mode_;
  Size2D pool_size_, strides_;
  std::string padding_;
};
Handle<Pooling2DLayer> MaxPooling2D(Size2D pool_size = 2, Pooling2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pooling2DOptions> &&
                              ...)) Handle<Pooling2DLayer> MaxPooling2D(Size2D pool_size = 2,
                                                                        const K&... keywords) {
  return MaxPooling2D(pool_size, with_keywords<Pooling2DOptions>(keywords...));
}
Handle<Pooling2DLayer> AveragePooling2D(Size2D pool_size = 2, Pooling2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pooling2DOptions> &&
                              ...)) Handle<Pooling2DLayer> AveragePooling2D(Size2D pool_size = 2,
                                                                            const K&... keywords) {
  return AveragePooling2D(pool_size, with_keywords<Pooling2DOptions>(keywords...));
}

struct GlobalPooling2DOptions {
  bool keepdims = false;
  std::string name = "";
  Optional<Shape> input_shape = std::nullopt;
  /// The dtype policy (layers/engine/dtype_policy.h); the global policy when absent.
  Optional<keras::DTypePolicy> dtype = std::nullopt;
};

/// The mean or maximum over height and width: (batch, h, w, c) -> (batch, c), or
/// (batch, 1, 1, c) with keepdims.
class GlobalPooling2DLayer : public keras::Layer {
 public:
  GlobalPooling2DLayer(PoolMode mode, GlobalPooling2DOptions options);
  Tensor call(const Tensor& inputs) override;
  std::vector<Shape> compute_output_shape(const std::vector<Shape>& input_shapes) override;
  std::string class_name() const override;
  keras::Config get_config() const override;

 private:
  PoolMode mode_;
  bool keepdims_;
};
Handle<GlobalPooling2DLayer> GlobalAveragePooling2D(GlobalPooling2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, GlobalPooling2DOptions> &&
          ...)) Handle<GlobalPooling2DLayer> GlobalAveragePooling2D(const K&... keywords) {
  return GlobalAveragePooling2D(with_keywords<GlobalPooling2DOptions>(keywords...));
}
Handle<GlobalPooling2DLayer> GlobalMaxPooling2D(GlobalPooling2DOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 &&
         (KeywordFor<K, GlobalPooling2DOptions> &&
          ...)) Handle<GlobalPooling2DLayer> GlobalMaxPooling2D(const K&... keywords) {
  return GlobalMaxPooling2D(with_keywords<GlobalPooling2DOptions>(keywords...));
}

}  // namespace ember::layers
