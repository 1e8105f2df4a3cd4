// Size2D: Keras' int-or-pair arguments of the image ops and layers (strides=2, kernel_size=(3, 1)).
#pragma once

#include <cstdint>

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

}  // namespace ember
