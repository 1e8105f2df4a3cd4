#include "layers/losses/loss_shapes.h"

#include "core/error.h"
#include "core/ops.h"

namespace ember::losses::detail {

std::pair<Tensor, Tensor> squeeze_or_expand_to_same_rank(const Tensor& a, const Tensor& b) {
  Tensor x = a, y = b;
  if (x.rank() == y.rank() + 1 && x.shape(-1) == 1) {
    if (y.rank() == 1)
      y = expand_dims(y, -1);
    else
      x = squeeze(x, std::vector<std::int64_t>{-1});
  } else if (y.rank() == x.rank() + 1 && y.shape(-1) == 1) {
    if (x.rank() == 1)
      x = expand_dims(x, -1);
    else
      y = squeeze(y, std::vector<std::int64_t>{-1});
  }
  return {x, y};
}

LabelKind label_kind(const Shape& y_true, const Shape& y_pred) {
  const std::int64_t true_last = y_true.rank() > 0 ? y_true[-1] : 1;
  const std::int64_t pred_last = y_pred.rank() > 0 ? y_pred[-1] : 1;
  if (pred_last == 1) return LabelKind::binary;
  if (y_true.rank() < y_pred.rank() || (true_last == 1 && pred_last > 1)) return LabelKind::sparse;
  return LabelKind::categorical;
}

Tensor sparse_label_indices(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  if (y_pred.rank() < 1)
    throw ShapeError(cat(op, ": y_pred must hold classes on its last axis, got a scalar"));
  Tensor labels = y_true;
  if (labels.rank() == y_pred.rank() && labels.shape(-1) == 1)
    labels = squeeze(labels, std::vector<std::int64_t>{-1});
  std::vector<std::int64_t> expected(y_pred.shape().dims().begin(),
                                     y_pred.shape().dims().end() - 1);
  if (labels.shape() != Shape(expected)) {
    throw ShapeError(cat(op, ": y_true should hold one class index per sample, shape ",
                         Shape(expected), " (or with a trailing 1), got ", y_true.shape(),
                         " for y_pred ", y_pred.shape()));
  }
  if (labels.dtype() == DType::bool_)
    throw DTypeError(cat(op, ": y_true must hold class indices, got bool"));
  return labels.dtype() == DType::int64 ? labels : cast(labels, DType::int64);
}

Tensor sparse_labels(const char* op, const Tensor& y_true, const Tensor& y_pred) {
  const Tensor labels = sparse_label_indices(op, y_true, y_pred);
  if (labels.device().is_cpu() && labels.size() > 0) {
    const std::int64_t classes = y_pred.shape(-1);
    const std::int64_t* data = labels.data<std::int64_t>();
    for (std::int64_t i = 0; i < labels.size(); ++i) {
      if (data[i] < 0 || data[i] >= classes) {
        throw Error(cat(op, ": label ", data[i], " at position ", i, " is outside the ", classes,
                        " classes [0, ", classes, ")"));
      }
    }
  }
  return labels;
}

Tensor divide_no_nan(const Tensor& a, const Tensor& b) {
  const Tensor zero = equal(b, 0.0);
  return where(zero, zeros_like(a), a / where(zero, ones_like(b), b));
}

}  // namespace ember::losses::detail
