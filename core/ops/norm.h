// Normalization and dropout: batch normalization in training mode (the backend's fused primitive)
// and inference mode (a formula of ops), and tf.nn.dropout.
#pragma once

#include <optional>
#include <vector>

#include "core/random/random.h"
#include "core/tensor.h"

namespace ember {

/// The result of training-mode batch normalization: the normalized output and the batch
/// statistics (mean and biased variance per channel).
struct FusedBatchNormResult {
  Tensor y, mean, variance;
  std::vector<Tensor> tensors() const { return {y, mean, variance}; }
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

/// Inverted dropout (tf.nn.dropout): each element is zeroed with probability `rate` and the rest
/// scaled by 1 / (1 − rate). Draws from `generator`, or from the global generator.
Tensor dropout(const Tensor& x, double rate,
               std::optional<random::Generator> generator = std::nullopt);

namespace detail {

/// The gradients of fused_batch_norm from the backend's fused primitive (not recorded: the
/// gradient rule uses it only when no tape records the gradient computation).
struct BatchNormGradients {
  Tensor dx, dscale, doffset;
  std::vector<Tensor> tensors() const { return {dx, dscale, doffset}; }
};
BatchNormGradients batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& scale,
                                       const Tensor& mean, const Tensor& inv_std, double epsilon);

}  // namespace detail
}  // namespace ember
