// Matrix products.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/keywords.h"
#include "core/tensor.h"

namespace ember {

struct MatmulOptions {
  bool transpose_a = false;
  bool transpose_b = false;
};

/// Matrix product over the last two axes; leading (batch) axes broadcast:
/// (B, M, K) x (K, N) -> (B, M, N). A rank-1 operand is a row (left) or column (right) vector,
/// as in NumPy, and that axis is dropped from the result.
/// Float32, float64, int32, int64. Throws ShapeError: "matmul: inner dimensions differ: (64, 784) x
/// (128, 10)".
Tensor matmul(const Tensor& a, const Tensor& b, MatmulOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, MatmulOptions> && ...)) Tensor
    matmul(const Tensor& a, const Tensor& b, const K&... keywords) {
  return matmul(a, b, with_keywords<MatmulOptions>(keywords...));
}

/// Contraction over the last `axes` axes of a and the first `axes` of b (0: outer product,
/// 1: inner/matrix product).
Tensor tensordot(const Tensor& a, const Tensor& b, int axes);
/// Contraction over explicit pairs of axes: a's axes_a[i] with b's axes_b[i].
Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<std::int64_t>& axes_a,
                 const std::vector<std::int64_t>& axes_b);

}  // namespace ember
