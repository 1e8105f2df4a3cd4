// Optional<T>: std::optional that also takes a braced list of what T is made of, so that options
// and parameters read as Keras' keywords do: `.input_shape = {784}`, `.strides = {2, 2}`,
// `transpose(b, {1, 0})`. (std::optional's converting constructor is a template, which a braced
// list cannot deduce; C++ then reports an error about the whole options struct.)
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <type_traits>
#include <utility>

namespace ember {

template <class T>
class Optional : public std::optional<T> {
 public:
  using std::optional<T>::optional;
  using std::optional<T>::operator=;
  Optional() = default;
  Optional(const std::optional<T>& other) : std::optional<T>(other) {}        // NOLINT: implicit
  Optional(std::optional<T>&& other) : std::optional<T>(std::move(other)) {}  // NOLINT
  /// From a list of integers, for the types made of one (Shape, a list of axes): {784}.
  Optional(std::initializer_list<std::int64_t> list)  // NOLINT: implicit, like T's own
      requires std::constructible_from<T, std::initializer_list<std::int64_t>>
      : std::optional<T>(std::in_place, list) {}
  /// From the arguments of T's constructor: {2, 2} for a Size2D.
  template <class A, class B, class... Rest>
  requires(std::constructible_from<T, A, B, Rest...> &&
           !std::constructible_from<T, std::initializer_list<std::int64_t>> &&
           !std::is_same_v<std::decay_t<A>, std::in_place_t>)
      Optional(A&& a, B&& b, Rest&&... rest)  // NOLINT: implicit, like T's own
      : std::optional<T>(std::in_place, std::forward<A>(a), std::forward<B>(b),
                         std::forward<Rest>(rest)...) {}
};

}  // namespace ember
