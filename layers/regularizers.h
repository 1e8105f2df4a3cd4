// Weight regularizers (keras.regularizers): penalties added to the training loss.
#pragma once

#include <memory>
#include <string>
#include <type_traits>

#include "core/keywords.h"
#include "core/tensor.h"
#include "layers/engine/config.h"

namespace ember::regularizers {

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  /// The penalty for weight `w` (a scalar tensor).
  virtual Tensor operator()(const Tensor& w) const = 0;
  virtual std::string class_name() const = 0;
  virtual keras::Config get_config() const = 0;
};

/// l1·Σ|w| + l2·Σw² (Keras' L1L2; L1 and L2 default to 0.01).
class L1L2 : public Regularizer {
 public:
  explicit L1L2(double l1 = 0.0, double l2 = 0.0);
  Tensor operator()(const Tensor& w) const override;
  std::string class_name() const override { return "L1L2"; }
  keras::Config get_config() const override { return {{"l1", l1_}, {"l2", l2_}}; }

 protected:
  double l1_, l2_;
};
class L1 final : public L1L2 {
 public:
  explicit L1(double l1 = 0.01) : L1L2(l1, 0.0) {}
  std::string class_name() const override { return "L1"; }
  keras::Config get_config() const override { return {{"l1", l1_}}; }
};
class L2 final : public L1L2 {
 public:
  explicit L2(double l2 = 0.01) : L1L2(0.0, l2) {}
  std::string class_name() const override { return "L2"; }
  keras::Config get_config() const override { return {{"l2", l2_}}; }
};

/// A regularizer by name ("l1", "l2", "l1_l2") or object; empty means none.
class RegularizerRef {
 public:
  RegularizerRef() = default;
  RegularizerRef(const char* name);  // NOLINT: implicit, `.kernel_regularizer = "l2"`
  template <class R>
  requires std::is_base_of_v<Regularizer, R> RegularizerRef(R regularizer)
      : regularizer_(std::make_shared<R>(std::move(regularizer))) {}  // NOLINT
  RegularizerRef(std::shared_ptr<const Regularizer> regularizer)
      : regularizer_(std::move(regularizer)) {}  // NOLINT

  explicit operator bool() const { return regularizer_ != nullptr; }
  Tensor operator()(const Tensor& w) const { return (*regularizer_)(w); }
  const Regularizer* get() const { return regularizer_.get(); }

 private:
  std::shared_ptr<const Regularizer> regularizer_;
};

/// From a {"class_name": ..., "config": {...}} object (or a name).
RegularizerRef from_config(const keras::Config& config);

}  // namespace ember::regularizers

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _beta_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.beta_regularizer; });
inline constexpr auto _bias_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.bias_regularizer; });
inline constexpr auto _depthwise_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.depthwise_regularizer; });
inline constexpr auto _embeddings_regularizer = keyword<regularizers::RegularizerRef>(
    [](auto& o) -> auto& { return o.embeddings_regularizer; });
inline constexpr auto _gamma_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.gamma_regularizer; });
inline constexpr auto _kernel_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.kernel_regularizer; });
inline constexpr auto _pointwise_regularizer =
    keyword<regularizers::RegularizerRef>([](auto& o) -> auto& { return o.pointwise_regularizer; });

}  // namespace ember
