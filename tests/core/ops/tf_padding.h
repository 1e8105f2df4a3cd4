// TensorFlow's padding rule for one spatial axis, written out for the image-op tests (the conv
// and pooling reference loops) independently of ember's own (core/ops/conv_support.cpp).
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

namespace ember::testing {

/// The output size and the padding before it.
inline std::pair<std::int64_t, std::int64_t> tf_axis(std::int64_t in, std::int64_t k,
                                                     std::int64_t s, std::int64_t d, bool same) {
  const std::int64_t kd = (k - 1) * d + 1;
  if (!same) return {(in - kd) / s + 1, 0};
  const std::int64_t out = (in + s - 1) / s;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * s + kd - in, 0);
  return {out, total / 2};
}

}  // namespace ember::testing
