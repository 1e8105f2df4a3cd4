// The vocabulary shared by the op layer and the backends: operation codes, strided layouts and
// argument packs for backend primitives. Thin on purpose (C++17, plain data): CUDA sources include
// it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace ember {

/// The most dimensions a tensor may have.
inline constexpr int kMaxRank = 8;

enum class UnaryOp : std::uint8_t {
  negative,
  abs,
  sign,
  square,  // every numeric dtype
  sqrt,
  rsqrt,
  exp,
  log,
  log1p,
  sin,
  cos,
  tanh,
  sigmoid,  // floating dtypes
  relu,
  leaky_relu,
  elu,
  softplus,
  erf,          // floating dtypes; alpha in `param`
  logical_not,  // bool
};

enum class BinaryOp : std::uint8_t {
  add,
  subtract,
  multiply,
  divide,
  floordiv,
  floormod,
  pow,
  maximum,
  minimum,
  relu_grad,  // a where b > 0, else 0: ReLU's gradient in one pass (a = dy, b = x); numeric -> same
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,  // any -> bool
  logical_and,
  logical_or,  // bool -> bool
};

constexpr bool is_comparison(BinaryOp op) {
  return op == BinaryOp::equal || op == BinaryOp::not_equal || op == BinaryOp::less ||
         op == BinaryOp::less_equal || op == BinaryOp::greater || op == BinaryOp::greater_equal;
}

enum class ReduceOp : std::uint8_t { sum, mean, max, min, prod, any, all };
enum class ArgReduceOp : std::uint8_t { argmax, argmin };

/// A value carried by the host into a kernel: one of the two fields is meaningful, chosen by the
/// dtype of the tensor it combines with (floating types read `f`, the others `i`).
struct ScalarValue {
  double f = 0;
  std::int64_t i = 0;
};

/// Shape and element strides of one operand of a strided kernel. A stride of 0 broadcasts.
struct StridedLayout {
  int rank = 0;
  std::int64_t shape[kMaxRank] = {};
  std::int64_t strides[kMaxRank] = {};
};

/// One input of an elementwise kernel: a device array viewed through `layout` (whose shape is the
/// output's), or, when `is_scalar`, a host value broadcast everywhere.
struct ElementwiseInput {
  const void* data = nullptr;
  StridedLayout layout;
  bool is_scalar = false;
  ScalarValue scalar;
  bool contiguous = false;  // layout equals the output's row-major layout
};

/// C = op(A) · op(B) for `batch` matrices, row-major, with element strides between matrices
/// (a batch stride of 0 reuses one matrix for the whole batch).
struct GemmArgs {
  DType dtype = DType::float32;
  bool transpose_a = false, transpose_b = false;
  std::int64_t m = 0, n = 0, k = 0;  // C is m x n; op(A) is m x k; op(B) is k x n
  std::int64_t batch = 1;
  const void* a = nullptr;
  std::int64_t lda = 0, stride_a = 0;
  const void* b = nullptr;
  std::int64_t ldb = 0, stride_b = 0;
  void* c = nullptr;
  std::int64_t ldc = 0, stride_c = 0;
  bool allow_tf32 = true;  // float32 only; honoured by backends with tensor cores
};

/// The fused update rules of the optimizers (optim/): one kernel per rule updates a variable and
/// its slots in place (core/backend/optimizer_math.h holds the per-element formulas).
enum class OptimizerRule : std::uint8_t {
  sgd,
  sgd_momentum,
  sgd_nesterov,
  adagrad,
  adadelta,
  rmsprop,
  rmsprop_centered,
  adam,
  adam_amsgrad,
  nadam,
  adamax,
};

/// One variable of an optimizer update: `param`, `slots` and `grad` hold n elements.
struct OptimizerTensor {
  std::int64_t n = 0;
  void* param = nullptr;
  const void* grad = nullptr;
  void* slots[3] = {nullptr, nullptr, nullptr};  // nullptr for the slots a rule has not
};

/// An update of several variables of one `dtype` (float32 or float64) by one rule, in one pass
/// (one kernel launch on a GPU, however many variables). The coefficients are computed on the host
/// per step (core/backend/optimizer_math.h says which is which). Elements whose gradient is NaN or
/// infinite are counted into *nonfinite_count, a device counter, and skipped when skip_nonfinite
/// says so.
struct OptimizerUpdateArgs {
  OptimizerRule rule = OptimizerRule::sgd;
  DType dtype = DType::float32;
  const OptimizerTensor* tensors = nullptr;
  std::size_t count = 0;
  double learning_rate = 0;
  double decay = 0;  // decoupled weight decay: param -= param * decay first (wd * lr)
  double coefficients[6] = {0, 0, 0, 0, 0, 0};
  std::int64_t* nonfinite_count = nullptr;
  /// Elements whose gradient is NaN or infinite are always counted; with this set they are also
  /// left untouched (variable and slots), else they update as any other (Keras' behaviour).
  bool skip_nonfinite = false;
};

/// A 2-D convolution of NHWC images x (batch, in_height, in_width, in_channels) with a filter in
/// Keras' layout (kernel_height, kernel_width, in_channels / groups, out_channels), giving y
/// (batch, out_height, out_width, out_channels). Output channel o reads the input channels of
/// group o / (out_channels / groups). The op layer fixed the output size and the padding
/// (TensorFlow's rule: SAME puts the odd extra row at the bottom, column at the right); input
/// row oh * stride_height - pad_top + i * dilation_height feeds output row oh through kernel row i,
/// and rows outside the input read zeros.
struct Conv2DArgs {
  DType dtype = DType::float32;
  std::int64_t batch = 0;
  std::int64_t in_height = 0, in_width = 0, in_channels = 0;
  std::int64_t out_height = 0, out_width = 0, out_channels = 0;
  std::int64_t kernel_height = 0, kernel_width = 0;
  std::int64_t stride_height = 1, stride_width = 1;
  std::int64_t dilation_height = 1, dilation_width = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t groups = 1;
  bool allow_tf32 = true;  // float32 only; honoured by backends with tensor cores
};

enum class PoolMode : std::uint8_t { max, average };

/// 2-D pooling of NHWC images: window (window_height, window_width) moved by the strides, padded
/// by pad_top/pad_left; windows are clipped to the image, so padding never enters a max and an
/// average divides by the number of image elements in the window (TensorFlow's SAME rule).
struct Pool2DArgs {
  DType dtype = DType::float32;
  PoolMode mode = PoolMode::max;
  std::int64_t batch = 0, channels = 0;
  std::int64_t in_height = 0, in_width = 0;
  std::int64_t out_height = 0, out_width = 0;
  std::int64_t window_height = 1, window_width = 1;
  std::int64_t stride_height = 1, stride_width = 1;
  std::int64_t pad_top = 0, pad_left = 0;
};

/// Batch normalization of x viewed as (rows, channels): statistics per channel over the rows
/// (N·H·W for an NHWC image). The scale, offset and statistics hold `channels` values of `dtype`.
struct BatchNormArgs {
  DType dtype = DType::float32;
  std::int64_t rows = 0, channels = 0;
  double epsilon = 1e-3;
};

enum class RandomDistribution : std::uint8_t { uniform, uniform_int, normal, truncated_normal };

/// Fills `n` elements of `out` from the Philox stream (key, call): element i depends only on
/// (key, call, i), so every device produces the same bits.
struct RandomArgs {
  RandomDistribution distribution = RandomDistribution::uniform;
  DType dtype = DType::float32;
  std::int64_t n = 0;
  void* out = nullptr;
  std::uint64_t key = 0;
  std::uint64_t call = 0;
  double a = 0, b = 1;          // uniform: [a, b); normal: mean a, stddev b
  std::int64_t lo = 0, hi = 1;  // uniform_int: [lo, hi)
};

}  // namespace ember
