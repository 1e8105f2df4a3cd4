// Weight initializers by Keras name or as objects (keras.initializers), with Keras 3's defaults.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "core/keywords.h"
#include "core/tensor.h"
#include "layers/engine/config.h"
#include "layers/keywords.h"

namespace ember::initializers {

class Initializer {
 public:
  virtual ~Initializer() = default;
  /// A new tensor of `shape` and `dtype` on the default device.
  virtual Tensor operator()(const Shape& shape, DType dtype) const = 0;
  /// Keras' class name ("GlorotUniform") and constructor arguments.
  virtual std::string class_name() const = 0;
  virtual keras::Config get_config() const { return keras::Config::object(); }
};

/// (fan_in, fan_out) of a weight shape as Keras counts them: a Dense kernel (in, out); a
/// convolution kernel (..., in, out) times its receptive field.
std::pair<double, double> compute_fans(const Shape& shape);

class Zeros final : public Initializer {
 public:
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Zeros"; }
};
class Ones final : public Initializer {
 public:
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Ones"; }
};
class Constant final : public Initializer {
 public:
  explicit Constant(double value = 0.0) : value_(value) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Constant"; }
  keras::Config get_config() const override { return {{"value", value_}}; }

 private:
  double value_;
};

/// A random initializer draws from the global generator, or — with a seed — from a generator
/// of that seed made for each call, so it gives the same values every time (Keras' rule).
struct RandomNormalOptions {
  double mean = 0.0;
  double stddev = 0.05;
  std::optional<std::uint64_t> seed = std::nullopt;
};
class RandomNormal final : public Initializer {
 public:
  explicit RandomNormal(RandomNormalOptions o = {}) : o_(o) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, RandomNormalOptions> && ...)) explicit RandomNormal(const K&... keywords)
      : RandomNormal(with_keywords<RandomNormalOptions>(keywords...)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "RandomNormal"; }
  keras::Config get_config() const override;

 private:
  RandomNormalOptions o_;
};
class TruncatedNormal final : public Initializer {
 public:
  explicit TruncatedNormal(RandomNormalOptions o = {}) : o_(o) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, RandomNormalOptions> &&
                                ...)) explicit TruncatedNormal(const K&... keywords)
      : TruncatedNormal(with_keywords<RandomNormalOptions>(keywords...)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "TruncatedNormal"; }
  keras::Config get_config() const override;

 private:
  RandomNormalOptions o_;
};
struct RandomUniformOptions {
  double minval = -0.05;
  double maxval = 0.05;
  std::optional<std::uint64_t> seed = std::nullopt;
};
class RandomUniform final : public Initializer {
 public:
  explicit RandomUniform(RandomUniformOptions o = {}) : o_(o) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, RandomUniformOptions> &&
                                ...)) explicit RandomUniform(const K&... keywords)
      : RandomUniform(with_keywords<RandomUniformOptions>(keywords...)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "RandomUniform"; }
  keras::Config get_config() const override;

 private:
  RandomUniformOptions o_;
};

struct VarianceScalingOptions {
  double scale = 1.0;
  std::string mode = "fan_in";                    // fan_in, fan_out, fan_avg
  std::string distribution = "truncated_normal";  // truncated_normal, untruncated_normal, uniform
  std::optional<std::uint64_t> seed = std::nullopt;
};
/// stddev = sqrt(scale/n) (truncated normals are widened by 1/0.8796 to keep it), or uniform in
/// ±sqrt(3·scale/n); n is fan_in, fan_out or their mean.
class VarianceScaling : public Initializer {
 public:
  explicit VarianceScaling(VarianceScalingOptions o = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, VarianceScalingOptions> &&
                                ...)) explicit VarianceScaling(const K&... keywords)
      : VarianceScaling(with_keywords<VarianceScalingOptions>(keywords...)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return name_; }
  keras::Config get_config() const override;

 protected:
  VarianceScaling(std::string name, VarianceScalingOptions o);

 private:
  std::string name_;
  VarianceScalingOptions o_;
};
/// Keras' default for Dense and Conv kernels: uniform in ±sqrt(6/(fan_in + fan_out)).
class GlorotUniform final : public VarianceScaling {
 public:
  explicit GlorotUniform(std::optional<std::uint64_t> seed = std::nullopt);
};
class GlorotNormal final : public VarianceScaling {
 public:
  explicit GlorotNormal(std::optional<std::uint64_t> seed = std::nullopt);
};
class HeNormal final : public VarianceScaling {
 public:
  explicit HeNormal(std::optional<std::uint64_t> seed = std::nullopt);
};
class HeUniform final : public VarianceScaling {
 public:
  explicit HeUniform(std::optional<std::uint64_t> seed = std::nullopt);
};
class LecunNormal final : public VarianceScaling {
 public:
  explicit LecunNormal(std::optional<std::uint64_t> seed = std::nullopt);
};
class LecunUniform final : public VarianceScaling {
 public:
  explicit LecunUniform(std::optional<std::uint64_t> seed = std::nullopt);
};

struct OrthogonalOptions {
  double gain = 1.0;
  std::optional<std::uint64_t> seed = std::nullopt;
};
/// A (semi-)orthogonal matrix from the QR decomposition of a normal one (sign-corrected), for
/// shapes of rank >= 2 flattened to (prod(shape[:-1]), shape[-1]).
class Orthogonal final : public Initializer {
 public:
  explicit Orthogonal(OrthogonalOptions o = {}) : o_(o) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, OrthogonalOptions> && ...)) explicit Orthogonal(const K&... keywords)
      : Orthogonal(with_keywords<OrthogonalOptions>(keywords...)) {}
  Tensor operator()(const Shape& shape, DType dtype) const override;
  std::string class_name() const override { return "Orthogonal"; }
  keras::Config get_config() const override;

 private:
  OrthogonalOptions o_;
};

/// An initializer given by Keras name ("glorot_uniform", "he_normal", "zeros", ...) or object.
class InitializerRef {
 public:
  InitializerRef(const char* name);         // NOLINT: implicit, `.kernel_initializer = "he_normal"`
  InitializerRef(const std::string& name);  // NOLINT
  template <class I>
  requires std::is_base_of_v<Initializer, I> InitializerRef(I initializer)
      : initializer_(std::make_shared<I>(std::move(initializer))) {}  // NOLINT
  InitializerRef(std::shared_ptr<const Initializer> initializer);     // NOLINT

  Tensor operator()(const Shape& shape, DType dtype) const { return (*initializer_)(shape, dtype); }
  const Initializer& get() const { return *initializer_; }

 private:
  std::shared_ptr<const Initializer> initializer_;
};

/// The initializer called `name` (Keras' snake_case names and class names); unknown names are
/// an error listing the known ones.
std::shared_ptr<const Initializer> get(const std::string& name);
/// From a {"class_name": ..., "config": {...}} object.
std::shared_ptr<const Initializer> from_config(const keras::Config& config);

}  // namespace ember::initializers

namespace ember {

// Keyword arguments (core/keywords.h) whose braced lists make these types.
inline constexpr auto _beta_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.beta_initializer; });
inline constexpr auto _bias_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.bias_initializer; });
inline constexpr auto _depthwise_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.depthwise_initializer; });
inline constexpr auto _embeddings_initializer = keyword<initializers::InitializerRef>(
    [](auto& o) -> auto& { return o.embeddings_initializer; });
inline constexpr auto _gamma_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.gamma_initializer; });
inline constexpr auto _kernel_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.kernel_initializer; });
inline constexpr auto _moving_mean_initializer = keyword<initializers::InitializerRef>(
    [](auto& o) -> auto& { return o.moving_mean_initializer; });
inline constexpr auto _moving_variance_initializer = keyword<initializers::InitializerRef>(
    [](auto& o) -> auto& { return o.moving_variance_initializer; });
inline constexpr auto _pointwise_initializer =
    keyword<initializers::InitializerRef>([](auto& o) -> auto& { return o.pointwise_initializer; });

}  // namespace ember
