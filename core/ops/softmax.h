// softmax and log_softmax, and the cross-entropies on logits built on them (tf.nn).
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace ember {

/// exp(x) / sum(exp(x)) along `axis`, shifted by the max for stability.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
/// x - log(sum(exp(x))) along `axis`, computed stably.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);

/// -Σ labels·log_softmax(logits) along `axis` (tf.nn.softmax_cross_entropy_with_logits): one
/// recorded op whose gradient is the exact (softmax(logits)·Σlabels - labels)·g, rather than the
/// chain through log_softmax, multiply and sum. labels and logits have the same shape.
Tensor softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits,
                                         std::int64_t axis = -1);
/// The same with integer class indices (shape of logits without the last axis), like
/// tf.nn.sparse_softmax_cross_entropy_with_logits; the gradient is softmax(logits) - one_hot.
/// Indices outside [0, classes) give a loss of log Σ exp(logits) (nothing picked); the losses
/// check them before calling.
Tensor sparse_softmax_cross_entropy_with_logits(const Tensor& labels, const Tensor& logits);

}  // namespace ember
