// Keyword arguments: Keras' keywords, in any order, for every function that takes an options
// struct.
//
//   model.fit(x, y, _epochs = 5, _batch_size = 100);          // lesson 14's own order
//   layers::Dense(128, _activation = "relu", _input_shape = {784});
//   optim::Adam(_learning_rate = 0.01, _clipnorm = 1.0);
//
// `_epochs = 5` makes a small object that sets the `epochs` member of the function's options
// struct; a function that takes options also takes any number of these, after its positional
// arguments, and fills a default-made options struct with them, left to right. The same struct
// can still be written out with designated initializers (`{.batch_size = 100, .epochs = 5}`),
// which C++ accepts in declaration order only. A keyword the function does not know is a compile
// error that names the options struct and the member (see docs/keywords.md).
//
// A keyword is declared once, beside the type its braced lists make (`_input_shape = {784}` is a
// Shape): `inline constexpr auto _input_shape = keyword<Shape>(<the lambda naming the member>);`.
// Keywords start with an underscore so that they never collide with the namespaces and functions
// of the same name (metrics, callbacks, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "core/dtype.h"
#include "core/ops/size2d.h"
#include "core/shape.h"

namespace ember {

namespace detail {

/// A keyword with its value: applies it to an options struct.
template <class Value, class Member>
struct KeywordValue {
  Value value;
  template <class Options>
  void apply(Options& options) const {
    Member{}(options) = value;
  }
};

template <class T>
struct IsKeywordValue : std::false_type {};
template <class Value, class Member>
struct IsKeywordValue<KeywordValue<Value, Member>> : std::true_type {};

}  // namespace detail

/// A keyword argument (see the top of this file). `Listed` is the type a braced list after `=`
/// makes; any other value is stored as given and assigned to the member when applied.
template <class Listed, class Member>
struct Keyword {
  template <class V>
  requires(!std::is_same_v<std::decay_t<V>, Listed>) constexpr detail::KeywordValue<std::decay_t<V>,
                                                                                    Member>
  operator=(V&& value) const {
    return {std::forward<V>(value)};
  }
  detail::KeywordValue<Listed, Member> operator=(Listed value) const { return {std::move(value)}; }
};

/// Declares a keyword: `inline constexpr auto _epochs = keyword<int>([](auto& o) -> auto& {
/// return o.epochs; });` (the lambda names the member; `Listed` is what a braced list makes).
template <class Listed, class Member>
constexpr Keyword<Listed, Member> keyword(Member) {
  return {};
}

/// Any `_keyword = value`.
template <class K>
concept KeywordArgument = detail::IsKeywordValue<std::decay_t<K>>::value;

/// A keyword argument that `Options` has a member for.
template <class K, class Options>
concept KeywordFor = KeywordArgument<K> && requires(const K& k, Options& o) {
  k.apply(o);
};

/// Default-made `Options` with the keywords applied, left to right.
template <class Options, class... K>
requires(KeywordFor<K, Options>&&...) Options with_keywords(const K&... keywords) {
  Options options{};
  (keywords.apply(options), ...);
  return options;
}

// --- keywords of core's options; each area declares its own (optim/keywords.h, layers/keywords.h,
// and beside the types their braced lists make) -------------------------------------------------

inline constexpr auto _axis = keyword<std::int64_t>([](auto& o) -> auto& { return o.axis; });
inline constexpr auto _dilation_rate =
    keyword<Size2D>([](auto& o) -> auto& { return o.dilation_rate; });
inline constexpr auto _dtype = keyword<DType>([](auto& o) -> auto& { return o.dtype; });
inline constexpr auto _epsilon = keyword<double>([](auto& o) -> auto& { return o.epsilon; });
inline constexpr auto _input_shape = keyword<Shape>([](auto& o) -> auto& { return o.input_shape; });
inline constexpr auto _ksize = keyword<Size2D>([](auto& o) -> auto& { return o.ksize; });
inline constexpr auto _maxval = keyword<double>([](auto& o) -> auto& { return o.maxval; });
inline constexpr auto _mean = keyword<double>([](auto& o) -> auto& { return o.mean; });
inline constexpr auto _minval = keyword<double>([](auto& o) -> auto& { return o.minval; });
inline constexpr auto _momentum = keyword<double>([](auto& o) -> auto& { return o.momentum; });
inline constexpr auto _name = keyword<std::string>([](auto& o) -> auto& { return o.name; });
inline constexpr auto _output_padding =
    keyword<Size2D>([](auto& o) -> auto& { return o.output_padding; });
inline constexpr auto _padding = keyword<std::string>([](auto& o) -> auto& { return o.padding; });
inline constexpr auto _persistent = keyword<bool>([](auto& o) -> auto& { return o.persistent; });
inline constexpr auto _seed = keyword<std::uint64_t>([](auto& o) -> auto& { return o.seed; });
inline constexpr auto _stddev = keyword<double>([](auto& o) -> auto& { return o.stddev; });
inline constexpr auto _strides = keyword<Size2D>([](auto& o) -> auto& { return o.strides; });
inline constexpr auto _trainable = keyword<bool>([](auto& o) -> auto& { return o.trainable; });
inline constexpr auto _transpose_a = keyword<bool>([](auto& o) -> auto& { return o.transpose_a; });
inline constexpr auto _transpose_b = keyword<bool>([](auto& o) -> auto& { return o.transpose_b; });
inline constexpr auto _watch_accessed_variables =
    keyword<bool>([](auto& o) -> auto& { return o.watch_accessed_variables; });

}  // namespace ember
