// Keras' dtype policies (keras.DTypePolicy) and the global policy of keras.mixed_precision:
//
//   keras::mixed_precision::set_global_policy("mixed_bfloat16");  // one line, as in Keras
//   auto model = keras::Sequential({..., layers::Dense(10),
//                                   layers::Activation("softmax", {.dtype = "float32"})});
//
// A policy names the dtype a layer computes in and the dtype its variables are made in. The mixed
// policies compute in bfloat16 or float16 and keep the variables float32: the layer casts its
// floating inputs to the compute dtype and reads its variables through an AutocastScope
// (core/autocast.h), so the optimizer updates float32 weights. A layer takes the global policy
// when it is made, unless its options name one.
#pragma once

#include <iosfwd>
#include <string>

#include "core/dtype.h"
#include "layers/engine/config.h"

namespace ember::keras {

class DTypePolicy {
 public:
  /// "float32" (the default), "float64", "float16", "bfloat16", "mixed_float16" or
  /// "mixed_bfloat16"; anything else is an Error listing these.
  DTypePolicy(const std::string& name = "float32");  // NOLINT: implicit, as Keras takes dtype="..."
  DTypePolicy(const char* name) : DTypePolicy(std::string(name)) {}  // NOLINT
  DTypePolicy(DType dtype);                                          // NOLINT: the plain policy

  const std::string& name() const { return name_; }
  /// The dtype of the layer's computations and outputs.
  DType compute_dtype() const { return compute_; }
  /// The dtype of the layer's variables.
  DType variable_dtype() const { return variable_; }
  /// Whether the two differ (the mixed policies).
  bool mixed() const { return compute_ != variable_; }

  /// As Keras 3 serializes it: {"module": "keras", "class_name": "DTypePolicy", "config":
  /// {"name": ...}, "registered_name": null}.
  Config get_config() const;
  /// From that, or from a plain dtype name (Keras 2 and older Keras 3 files).
  static DTypePolicy from_config(const Config& config);

  bool operator==(const DTypePolicy& other) const { return name_ == other.name_; }

 private:
  std::string name_;
  DType compute_ = DType::float32;
  DType variable_ = DType::float32;
};

std::ostream& operator<<(std::ostream& out, const DTypePolicy& policy);

namespace mixed_precision {

using keras::DTypePolicy;
/// The policy layers made from now on take (keras.mixed_precision.set_global_policy). Layers
/// already made keep theirs.
void set_global_policy(const DTypePolicy& policy);
DTypePolicy global_policy();

}  // namespace mixed_precision
}  // namespace ember::keras
