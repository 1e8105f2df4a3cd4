// Random tensors from a counter-based generator (Philox 4x32-10): each value depends only on
// (seed, call number, element index), so the same seed and sequence of calls give bit-identical
// values on the CPU and on every GPU.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>

#include "core/keywords.h"
#include "core/tensor.h"

namespace ember::random {

/// Restarts the global generator from `seed`, like tf.random.set_seed. Without a call, the seed
/// comes from std::random_device (different every run), as in TensorFlow.
void set_seed(std::uint64_t seed);

struct NormalOptions {
  double mean = 0.0;
  double stddev = 1.0;
  DType dtype = float32;
};
struct UniformOptions {
  double minval = 0.0;
  /// Upper bound (excluded); 1 for floats when absent, required for integer dtypes.
  std::optional<double> maxval = std::nullopt;
  DType dtype = float32;
};

/// A generator of its own (tf.random.Generator): a seed and a count of calls, independent of
/// the global one, so a layer (Dropout) or an initializer can draw reproducibly. Copies share
/// the state.
class Generator {
 public:
  explicit Generator(std::uint64_t seed);
  Tensor normal(const Shape& shape, NormalOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, NormalOptions> && ...)) Tensor
      normal(const Shape& shape, const K&... keywords) {
    return normal(shape, with_keywords<NormalOptions>(keywords...));
  }
  Tensor truncated_normal(const Shape& shape, NormalOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, NormalOptions> && ...)) Tensor
      truncated_normal(const Shape& shape, const K&... keywords) {
    return truncated_normal(shape, with_keywords<NormalOptions>(keywords...));
  }
  Tensor uniform(const Shape& shape, UniformOptions options = {});
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, UniformOptions> && ...)) Tensor
      uniform(const Shape& shape, const K&... keywords) {
    return uniform(shape, with_keywords<UniformOptions>(keywords...));
  }
  std::uint64_t seed() const;
  /// The Philox key and call number of the next draw (each draw takes one call).
  std::pair<std::uint64_t, std::uint64_t> next_key_and_call() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// Normal values (Box-Muller).
Tensor normal(const Shape& shape, NormalOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, NormalOptions> && ...)) Tensor
    normal(const Shape& shape, const K&... keywords) {
  return normal(shape, with_keywords<NormalOptions>(keywords...));
}
/// Normal values, re-drawn while more than two standard deviations from the mean (TensorFlow's
/// truncated_normal).
Tensor truncated_normal(const Shape& shape, NormalOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, NormalOptions> && ...)) Tensor
    truncated_normal(const Shape& shape, const K&... keywords) {
  return truncated_normal(shape, with_keywords<NormalOptions>(keywords...));
}
/// Uniform values in [minval, maxval); integer dtypes need maxval.
Tensor uniform(const Shape& shape, UniformOptions options = {});
/// The same with keyword arguments in any order (core/keywords.h).
template <class... K>
requires(sizeof...(K) > 0 && (KeywordFor<K, UniformOptions> && ...)) Tensor
    uniform(const Shape& shape, const K&... keywords) {
  return uniform(shape, with_keywords<UniformOptions>(keywords...));
}
/// The rows (first axis) of x in a random order.
Tensor shuffle(const Tensor& x);

}  // namespace ember::random
