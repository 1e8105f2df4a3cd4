// Activation functions by Keras name (keras.activations): relu, sigmoid, tanh, softmax, linear,
// elu, selu, gelu, swish (silu), softplus, leaky_relu, exponential.
#pragma once

#include <functional>
#include <string>

#include "core/keywords.h"
#include "core/ops/elementwise.h"
#include "core/ops/softmax.h"
#include "core/tensor.h"

namespace ember::activations {

// keras.activations.relu(x) and friends: the ops themselves.
using ember::elu;
using ember::leaky_relu;
using ember::relu;
using ember::sigmoid;
using ember::softmax;
using ember::softplus;
using ember::tanh;

Tensor linear(const Tensor& x);
/// e^x.
Tensor exponential(const Tensor& x);
/// scale·elu(x, alpha) with Klambauer et al.'s constants.
Tensor selu(const Tensor& x);
/// x·Φ(x) = 0.5x(1 + erf(x/√2)) (Keras' default, approximate=false).
Tensor gelu(const Tensor& x);
/// x·sigmoid(x).
Tensor swish(const Tensor& x);

/// An activation given by name or as a function; the default is linear (none).
class Activation {
 public:
  Activation();
  Activation(const char* name);         // NOLINT: implicit, `.activation = "relu"`
  Activation(const std::string& name);  // NOLINT
  Activation(std::function<Tensor(const Tensor&)> function, std::string name = "custom");  // NOLINT

  Tensor operator()(const Tensor& x) const { return function_(x); }
  const std::string& name() const { return name_; }
  bool is_linear() const { return name_ == "linear"; }

 private:
  std::function<Tensor(const Tensor&)> function_;
  std::string name_;
};

/// The activation called `name`; unknown names are an error listing the known ones.
Activation get(const std::string& name);

}  // namespace ember::activations

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _activation =
    keyword<activations::Activation>([](auto& o) -> auto& { return o.activation; });

}  // namespace ember
