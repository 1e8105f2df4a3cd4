// Pooling and upsampling ops on NHWC images (Keras' channels_last), with TensorFlow's semantics
// (tf.nn.max_pool2d, tf.nn.avg_pool2d). max_pool2d and avg_pool2d are differentiable (avg_pool2d
// twice); see docs/conv.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/keywords.h"
#include "core/ops/size2d.h"
#include "core/optional.h"
#include "core/tensor.h"

namespace ember {

struct Pool2DOptions {
  /// The window (TensorFlow's ksize, Keras' pool_size).
  Size2D ksize = 2;
  /// The step between windows; the window size when absent (Keras' default).
  Optional<Size2D> strides = std::nullopt;
  std::string padding = "valid";
};

/// The maximum of each window: x (N, H, W, C) -> (N, OH, OW, C); "same" windows never see the
/// padding. The gradient goes to the first maximum of each window.
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pool2DOptions> && ...)) Tensor
    max_pool2d(const Tensor& x, const K&... keywords) {
  return max_pool2d(x, with_keywords<Pool2DOptions>(keywords...));
}
/// The mean of each window; with "same" padding, over the elements inside the image only (as in
/// TensorFlow).
Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pool2DOptions> && ...)) Tensor
    avg_pool2d(const Tensor& x, const K&... keywords) {
  return avg_pool2d(x, with_keywords<Pool2DOptions>(keywords...));
}
/// The gradient of max_pool2d (y = max_pool2d(x)) given dy. Has no second derivative.
Tensor max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& dy,
                           const Pool2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pool2DOptions> && ...)) Tensor
    max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& dy, const K&... keywords) {
  return max_pool2d_backward(x, y, dy, with_keywords<Pool2DOptions>(keywords...));
}
/// The gradient of avg_pool2d for an input of `input_shape`, given dy. Differentiable in dy.
Tensor avg_pool2d_backward(const Shape& input_shape, const Tensor& dy,
                           const Pool2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Pool2DOptions> && ...)) Tensor
    avg_pool2d_backward(const Shape& input_shape, const Tensor& dy, const K&... keywords) {
  return avg_pool2d_backward(input_shape, dy, with_keywords<Pool2DOptions>(keywords...));
}
/// Mean (max) over the spatial axes: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims.
Tensor global_average_pool2d(const Tensor& x, bool keepdims = false);
Tensor global_max_pool2d(const Tensor& x, bool keepdims = false);
/// Upsampling by whole factors: "nearest" repeats each pixel size.height x size.width times;
/// "bilinear" interpolates between the nearest source pixels as tf.image.resize does (half-pixel
/// centres, edges clamped), which is Keras' UpSampling2D(interpolation="bilinear").
Tensor upsampling2d(const Tensor& x, Size2D size = 2, const std::string& interpolation = "nearest");

}  // namespace ember
