// keras.utils for data: one-hot labels and the usual scaling of images to floats.
#pragma once

#include <cstdint>
#include <optional>

#include "core/operand.h"
#include "core/tensor.h"

namespace ember::utils {

/// One-hot encoding of integer class labels, like keras.utils.to_categorical: labels of shape S
/// give S + (num_classes,), except that a trailing axis of size 1 is dropped first (Keras does
/// the same), so CIFAR's (N, 1) labels give (N, num_classes). num_classes defaults to the largest
/// label + 1. Labels may be int32, int64, uint8, or floats holding whole numbers. The result is
/// computed on y's device; the labels are read back to the host once to check them, and a label
/// outside [0, num_classes) is an IndexError naming it and its position.
Tensor to_categorical(const Tensor& y, std::optional<std::int64_t> num_classes = std::nullopt,
                      DType dtype = float32);

/// x cast to `dtype`, times `scale`, plus `offset`: keras.layers.Rescaling. `rescale(images,
/// 1.0 / 255)` turns uint8 pixels into floats in [0, 1].
Tensor rescale(const Tensor& x, double scale, double offset = 0.0, DType dtype = float32);

/// (cast(x, dtype) - mean) / stddev. mean and stddev are numbers or `dtype` tensors that
/// broadcast against x (per-channel statistics of shape (C,) for NHWC images). Named
/// standardize because keras.utils.normalize means L2 normalisation.
Tensor standardize(const Tensor& x, const Operand& mean, const Operand& stddev,
                   DType dtype = float32);

}  // namespace ember::utils
