#include "layers/activations.h"

#include <map>

#include "core/error.h"
#include "core/ops.h"
#include "core/tensor_impl.h"

namespace ember::activations {

Tensor exponential(const Tensor& x) { return exp(x); }

Tensor linear(const Tensor& x) { return x; }

Tensor selu(const Tensor& x) {
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  return elu(x, kAlpha) * kScale;
}

Tensor gelu(const Tensor& x) { return x * 0.5 * (1 + erf(x * 0.70710678118654752440)); }

Tensor swish(const Tensor& x) { return x * sigmoid(x); }

namespace {

// As Keras 3 on TensorFlow: a softmax or sigmoid activation's result remembers its logits, and
// the cross-entropies compute from them (no clipping, so a confident mistake keeps its gradient).
Tensor with_logits(const Tensor& probabilities, const Tensor& logits) {
  detail::set_keras_logits(probabilities, logits);
  return probabilities;
}

const std::map<std::string, std::function<Tensor(const Tensor&)>>& table() {
  static const std::map<std::string, std::function<Tensor(const Tensor&)>> known = {
      {"elu", [](const Tensor& x) { return elu(x); }},
      {"exponential", exponential},
      {"gelu", gelu},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"linear", linear},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"selu", selu},
      {"sigmoid", [](const Tensor& x) { return with_logits(sigmoid(x), x); }},
      {"silu", swish},
      {"softmax", [](const Tensor& x) { return with_logits(softmax(x, -1), x); }},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"swish", swish},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
  };
  return known;
}

}  // namespace

Activation get(const std::string& name) { return Activation(name); }

Activation::Activation() : Activation("linear") {}

Activation::Activation(const char* name) : Activation(std::string(name)) {}

Activation::Activation(const std::string& name) : name_(name.empty() ? "linear" : name) {
  const auto it = table().find(name_);
  if (it == table().end()) {
    std::string known;
    for (const auto& [k, f] : table()) known += (known.empty() ? "" : ", ") + k;
    throw Error(cat("unknown activation \"", name, "\"; known: ", known));
  }
  function_ = it->second;
}

Activation::Activation(std::function<Tensor(const Tensor&)> function, std::string name)
    : function_(std::move(function)), name_(std::move(name)) {
  if (!function_) throw Error("Activation: an empty function was given");
}

}  // namespace ember::activations
