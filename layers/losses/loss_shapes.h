// Shape rules that losses, metrics and compile share, after Keras' (losses/loss.py and
// trainers/compile_utils.py).
#pragma once

#include <utility>

#include "core/tensor.h"

namespace ember::losses::detail {

/// When the ranks differ by one and the longer shape ends in 1, squeezes that axis (or, when the
/// other is rank 1, expands it): (batch,) against (batch, 1) lines up.
std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& a, const Tensor& b);

/// How targets of shape `y_true` relate to predictions `y_pred`: one probability per sample
/// (binary), class indices (sparse) or one-hot rows (categorical).
enum class LabelKind { binary, sparse, categorical };
LabelKind label_kind(const Shape& y_true, const Shape& y_pred);

/// Integer class labels for predictions `y_pred` (classes on the last axis) as int64 of
/// y_pred's shape without the last axis. Accepts labels of that shape or with a trailing 1, and
/// float labels holding whole numbers. On the CPU, labels outside [0, classes) are an error
/// naming `op`, the label and the class count.
Tensor sparse_labels(const char* op, const Tensor& y_true, const Tensor& y_pred);
/// The same without the range check (metrics, where a label out of range simply never matches).
Tensor sparse_label_indices(const char* op, const Tensor& y_true, const Tensor& y_pred);

/// a / b, and 0 where b is 0 (tf.math.divide_no_nan): means over nothing, empty batches.
Tensor divide_no_nan(const Tensor& a, const Tensor& b);

}  // namespace ember::losses::detail
