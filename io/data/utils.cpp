#include "io/data/utils.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"

namespace ember::utils {
namespace {

// The labels as int64 on the host (one copy back from a GPU: the check is worth a
// synchronisation in a step that runs once per data set). Floats must be whole numbers.
std::vector<std::int64_t> host_labels(const Tensor& y) {
  const Tensor host = y.to(Device::cpu());
  if (is_integer(y.dtype())) return cast(host, int64).to_vector<std::int64_t>();
  const std::vector<double> values = cast(host, float64).to_vector<double>();
  std::vector<std::int64_t> labels(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!(std::floor(values[i]) == values[i]) || std::fabs(values[i]) > 9.0e15) {
      throw DTypeError(cat("to_categorical: label ", values[i], " at flat position ", i,
                           " is not a whole number (cast the labels to an integer dtype first)"));
    }
    labels[i] = static_cast<std::int64_t>(values[i]);
  }
  return labels;
}

// A flat position as a multi-index, "[3, 1]", for messages.
std::string position_in(const Shape& shape, std::int64_t flat) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(shape.rank()));
  for (int axis = shape.rank() - 1; axis >= 0; --axis) {
    index[static_cast<std::size_t>(axis)] = flat % shape[axis];
    flat /= shape[axis];
  }
  std::string text = "[";
  for (std::size_t i = 0; i < index.size(); ++i) text += cat(i ? ", " : "", index[i]);
  return text + "]";
}

}  // namespace

Tensor to_categorical(const Tensor& y, std::optional<std::int64_t> num_classes, DType dtype) {
  detail::check_defined(y, "to_categorical");
  if (y.dtype() == bool_) {
    throw DTypeError("to_categorical: expected integer labels, got bool (cast them first)");
  }
  const Tensor labels =
      y.rank() > 1 && y.shape(-1) == 1 ? squeeze(y, std::vector<std::int64_t>{-1}) : y;
  const std::vector<std::int64_t> values = host_labels(labels);
  std::int64_t classes = 0;
  if (num_classes) {
    if (*num_classes < 1) {
      throw Error(cat("to_categorical: num_classes must be at least 1, got ", *num_classes));
    }
    classes = *num_classes;
  } else {
    for (std::int64_t v : values) classes = std::max(classes, v + 1);
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 0 || values[i] >= classes) {
      throw IndexError(cat("to_categorical: label ", values[i], " at position ",
                           position_in(labels.shape(), static_cast<std::int64_t>(i)),
                           " is outside [0, ", classes, ") for num_classes = ", classes));
    }
  }
  const Tensor indices = is_integer(labels.dtype()) ? labels : cast(labels, int64);
  return one_hot(indices, classes, 1, 0, -1, dtype);
}

Tensor rescale(const Tensor& x, double scale, double offset, DType dtype) {
  detail::check_defined(x, "rescale");
  if (!is_floating(dtype)) {
    throw DTypeError(cat("rescale: expected a floating result dtype, got ", dtype_name(dtype)));
  }
  const Tensor scaled = cast(x, dtype) * scale;
  return offset == 0.0 ? scaled : scaled + offset;
}

Tensor standardize(const Tensor& x, const Operand& mean, const Operand& stddev, DType dtype) {
  detail::check_defined(x, "standardize");
  if (!is_floating(dtype)) {
    throw DTypeError(cat("standardize: expected a floating result dtype, got ", dtype_name(dtype)));
  }
  return (cast(x, dtype) - mean) / stddev;
}

}  // namespace ember::utils
