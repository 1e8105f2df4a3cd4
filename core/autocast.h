// Keras' AutocastScope: while one is open on a thread, a floating variable read as an op input
// (Variable::read, or a Variable passed where a Tensor is expected) gives its value cast to the
// scope's dtype, recorded on the tape as a read and a cast, so the gradient reaches the variable
// in its own dtype. A layer under a mixed policy opens one around its call()
// (layers/engine/layer.cpp): its float32 variables are read in bfloat16 or float16. Variables
// made with `autocast = false` (batch normalization's statistics) are read as they are.
#pragma once

#include <optional>

#include "core/dtype.h"

namespace ember {

class AutocastScope {
 public:
  /// std::nullopt clears the enclosing scope (a layer that must not autocast).
  explicit AutocastScope(std::optional<DType> dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  std::optional<DType> previous_;
};

/// The dtype floating variables are read in on this thread, if a scope says so.
std::optional<DType> autocast_dtype();

}  // namespace ember
