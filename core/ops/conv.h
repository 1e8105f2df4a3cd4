// Convolution, pooling and normalization ops on NHWC images (Keras' channels_last), with
// TensorFlow's semantics (tf.nn.conv2d, tf.nn.max_pool2d, ...). Filters use Keras' layouts:
// conv2d (kh, kw, in, out), conv2d_transpose (kh, kw, out, in), depthwise_conv2d
// (kh, kw, in, depth_multiplier). Every op is differentiable; see docs/conv.md for what has
// second derivatives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/random/random.h"
#include "core/tensor.h"

namespace ember {

/// A (height, width) pair given as one number for both or as `{h, w}`: Keras' int-or-tuple
/// arguments (`strides=2`, `kernel_size=(3, 1)`).
struct Size2D {
  std::int64_t height = 1;
  std::int64_t width = 1;
  Size2D(std::int64_t both) : height(both), width(both) {}  // NOLINT: implicit like Keras' ints
  Size2D(std::int64_t height, std::int64_t width) : height(height), width(width) {}
  bool operator==(const Size2D&) const = default;
};

struct Conv2DOptions {
  Size2D strides = 1;
  /// "valid" (no padding) or "same" (output size ceil(in / stride); TensorFlow's rule puts the
  /// odd extra row of padding at the bottom and the odd column at the right). Either case.
  std::string padding = "valid";
  Size2D dilation_rate = 1;
  /// conv2d_transpose only (Keras' output_padding): extra rows and columns at the bottom and the
  /// right of the output, each less than the stride; none picks Keras' default size.
  std::optional<Size2D> output_padding = std::nullopt;
};

/// 2-D convolution (cross-correlation, as in TensorFlow): x (N, H, W, C) with a filter
/// (kh, kw, C / groups, O) -> (N, OH, OW, O). Filters with fewer input channels than x make a
/// grouped convolution (groups = C / filter's in-channels, which must divide C and O).
/// float32 and float64. Throws ShapeError naming both shapes, DTypeError, DeviceError.
Tensor conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});
/// The gradient of conv2d with respect to x (tf.nn.conv2d_backprop_input): dy (N, OH, OW, O)
/// -> (N, H, W, C) = input_shape. Differentiable in filter and dy.
Tensor conv2d_backward_input(const Shape& input_shape, const Tensor& filter, const Tensor& dy,
                             const Conv2DOptions& options = {});
/// The gradient of conv2d with respect to the filter (tf.nn.conv2d_backprop_filter): x and
/// dy -> filter_shape. Differentiable in x and dy.
Tensor conv2d_backward_filter(const Tensor& x, const Shape& filter_shape, const Tensor& dy,
                              const Conv2DOptions& options = {});
/// The transposed convolution of Keras' Conv2DTranspose: x (N, H, W, C) with a filter
/// (kh, kw, O, C) -> (N, OH, OW, O), OH = H·stride for "same" and
/// H·stride + max(kd − stride, 0) for "valid" (kd = the dilated kernel height); the same for W.
Tensor conv2d_transpose(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});
/// Depthwise convolution (tf.nn.depthwise_conv2d): each input channel c is convolved with its
/// own filters (kh, kw, c, 0..M-1): x (N, H, W, C), filter (kh, kw, C, M) -> (N, OH, OW, C·M),
/// output channel c·M + m.
Tensor depthwise_conv2d(const Tensor& x, const Tensor& filter, const Conv2DOptions& options = {});

struct Pool2DOptions {
  /// The window (TensorFlow's ksize, Keras' pool_size).
  Size2D ksize = 2;
  /// The step between windows; the window size when absent (Keras' default).
  std::optional<Size2D> strides = std::nullopt;
  std::string padding = "valid";
};

/// The maximum of each window: x (N, H, W, C) -> (N, OH, OW, C); "same" windows never see the
/// padding. The gradient goes to the first maximum of each window.
Tensor max_pool2d(const Tensor& x, const Pool2DOptions& options = {});
/// The mean of each window; with "same" padding, over the elements inside the image only (as in
/// TensorFlow).
Tensor avg_pool2d(const Tensor& x, const Pool2DOptions& options = {});
/// The gradient of max_pool2d (y = max_pool2d(x)) given dy. Has no second derivative.
Tensor max_pool2d_backward(const Tensor& x, const Tensor& y, const Tensor& dy,
                           const Pool2DOptions& options = {});
/// The gradient of avg_pool2d for an input of `input_shape`, given dy. Differentiable in dy.
Tensor avg_pool2d_backward(const Shape& input_shape, const Tensor& dy,
                           const Pool2DOptions& options = {});
/// Mean (max) over the spatial axes: (N, H, W, C) -> (N, C), or (N, 1, 1, C) with keepdims.
Tensor global_average_pool2d(const Tensor& x, bool keepdims = false);
Tensor global_max_pool2d(const Tensor& x, bool keepdims = false);
/// Upsampling by whole factors: "nearest" repeats each pixel size.height x size.width times;
/// "bilinear" interpolates between the nearest source pixels as tf.image.resize does (half-pixel
/// centres, edges clamped), which is Keras' UpSampling2D(interpolation="bilinear").
Tensor upsampling2d(const Tensor& x, Size2D size = 2, const std::string& interpolation = "nearest");

/// The result of training-mode batch normalization: the normalized output and the batch
/// statistics (mean and biased variance per channel).
struct FusedBatchNormResult {
  Tensor y, mean, variance;
};
/// Batch normalization with the batch's statistics (tf.nn.fused_batch_norm in training mode):
/// per channel (the last axis) over all other axes, y = (x − mean) / sqrt(variance + epsilon)
/// · scale + offset. scale and offset have one value per channel. Differentiable in x, scale and
/// offset (and mean and variance in x).
FusedBatchNormResult fused_batch_norm(const Tensor& x, const Tensor& scale, const Tensor& offset,
                                      double epsilon = 1e-3);
/// tf.nn.batch_normalization: (x − mean) / sqrt(variance + epsilon) · scale + offset with given
/// statistics (inference with moving averages); all broadcast against x; offset and scale may be
/// absent.
Tensor batch_normalization(const Tensor& x, const Tensor& mean, const Tensor& variance,
                           const std::optional<Tensor>& offset, const std::optional<Tensor>& scale,
                           double epsilon = 1e-3);

/// x + bias along the last axis (tf.nn.bias_add); bias has shape (x.shape[-1],).
Tensor bias_add(const Tensor& x, const Tensor& bias);
/// Inverted dropout (tf.nn.dropout): each element is zeroed with probability `rate` and the rest
/// scaled by 1 / (1 − rate). Draws from `generator`, or from the global generator.
Tensor dropout(const Tensor& x, double rate,
               std::optional<random::Generator> generator = std::nullopt);

}  // namespace ember
