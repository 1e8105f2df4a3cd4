// Convolution ops on NHWC images (Keras' channels_last), with TensorFlow's semantics
// (tf.nn.conv2d, tf.nn.conv2d_transpose, tf.nn.depthwise_conv2d). Filters use Keras' layouts:
// conv2d (kh, kw, in, out), conv2d_transpose (kh, kw, out, in), depthwise_conv2d
// (kh, kw, in, depth_multiplier). Every op is differentiable; see docs/conv.md for what has
// second derivatives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/keywords.h"
#include "core/ops/size2d.h"
#include "core/optional.h"
#include "core/tensor.h"

namespace ember {

struct Conv2DOptions {
  Size2D strides = 1;
  /// "valid" (no padding) or "same" (output size ceil(in / stride); TensorFlow's rule puts the
  /// odd extra row of padding at the bottom and the odd column at the right). Either case.
  std::string padding = "valid";
  Size2D dilation_rate = 1;
  /// conv2d_transpose only (Keras' output_padding): extra rows and columns at the bottom and the
  /// right of the output, each less than the stride; none picks Keras' default size.
  Optional<Size2D> output_padding = std::nullopt;
};

/// 2-D convolution (cross-correlation, as in TensorFlow): x (N, H, W, C) with a filter
/// (kh, kw, C / groups, O) -> (N, OH, OW, O). Filters with fewer input channels than x make a
/// grouped convolution (groups = C / filter's in-channels, which must divide C and O).
/// float32 and float64. Throws ShapeError naming both shapes, DTypeError, DeviceError.
Tensor conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DOptions> && ...)) Tensor
    conv2d(const Tensor& x, const Tensor& filter, const K&... keywords) {
  return conv2d(x, filter, with_keywords<Conv2DOptions>(keywords...));
}
/// The gradient of conv2d with respect to x (tf.nn.conv2d_backprop_input): dy (N, OH, OW, O)
/// -> (N, H, W, C) = input_shape. Differentiable in filter and dy.
Tensor conv2d_backward_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Conv2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DOptions> && ...)) Tensor
    conv2d_backward_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                          const K&... keywords) {
  return conv2d_backward_input(input_shape, filter, dy, with_keywords<Conv2DOptions>(keywords...));
}
/// The gradient of conv2d with respect to the filter (tf.nn.conv2d_backprop_filter): x and
/// dy -> filter_shape. Differentiable in x and dy.
Tensor conv2d_backward_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Conv2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DOptions> && ...)) Tensor
    conv2d_backward_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                           const K&... keywords) {
  return conv2d_backward_filter(x, filter_shape, dy, with_keywords<Conv2DOptions>(keywords...));
}
/// The transposed convolution of Keras' Conv2DTranspose: x (N, H, W, C) with a filter
/// (kh, kw, O, C) -> (N, OH, OW, O), OH = H·stride for "same" and
/// H·stride + max(kd − stride, 0) for "valid" (kd = the dilated kernel height); the same for W.
Tensor conv2d_transpose(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DOptions> && ...)) Tensor
    conv2d_transpose(const Tensor& x, const Tensor& filter, const K&... keywords) {
  return conv2d_transpose(x, filter, with_keywords<Conv2DOptions>(keywords...));
}
/// Depthwise convolution (tf.nn.depthwise_conv2d): each input channel c is convolved with its
/// own filters (kh, kw, c, 0..M-1): x (N, H, W, C), filter (kh, kw, C, M) -> (N, OH, OW, C·M),
/// output channel c·M + m.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, Conv2DOptions> && ...)) Tensor
    depthwise_conv2d(const Tensor& x, const Tensor& filter, const K&... keywords) {
  return depthwise_conv2d(x, filter, with_keywords<Conv2DOptions>(keywords...));
}

}  // namespace ember
