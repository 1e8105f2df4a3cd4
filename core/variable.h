// Variable: mutable, named, trainable state, like tf.Variable. A Variable is a handle: copies
// refer to the same variable (as Python names do); `clone()` makes a new one with the same value
// (tf.Variable(v1)). Reading a variable gives its current value as a Tensor, and a Tensor read
// before an assign keeps its old value.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/constant.h"
#include "core/keywords.h"
#include "core/operand.h"
#include "core/tensor.h"

namespace ember {

struct VariableOptions {
  std::string name = "Variable";
  /// Trainable variables are watched automatically by a GradientTape that reads them.
  bool trainable = true;
  /// Converts the initial value (like tf.Variable(..., dtype=...)).
  std::optional<DType> dtype = std::nullopt;
  /// Read in an AutocastScope's dtype (core/autocast.h) when floating, as Keras' variables are;
  /// false reads it as it is (batch normalization's statistics under a mixed policy).
  bool autocast = true;
};

class VariableSlice;
class Variable;
namespace detail {
void* exclusive_data(Variable& v);
void set_path(Variable& v, std::string path);
}  // namespace detail

class Variable {
 public:
  /// An undefined variable; assign a constructed one to it.
  Variable() = default;
  /// Copies share the variable, as a second Python name does: `Variable v2 = v1;`, `auto v2 =
  /// v1;`, lists of variables, arguments by value.
  Variable(const Variable&) = default;
  Variable(Variable&&) noexcept = default;
  Variable& operator=(const Variable&) = default;
  Variable& operator=(Variable&&) noexcept = default;
  /// `Variable v4(v1)` reads as Python's tf.Variable(v1), a new variable, but would be a shared
  /// copy in C++, so it does not compile: write `Variable v4 = v1.clone();` for a new variable
  /// with v1's value, or `Variable v4 = v1;` to name the same one. (A lambda capturing a variable
  /// by copy, `[v]`, is this constructor too: capture it by reference, `[&v]`.)
  explicit Variable(Variable& source) = delete;
  explicit Variable(const Tensor& initial_value, VariableOptions options = {});
  explicit Variable(Scalar initial_value, VariableOptions options = {});
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Variable(std::initializer_list<T> values, VariableOptions options = {})
      : Variable(constant(values, options.dtype), options) {}
  template <class T>
  requires std::is_arithmetic_v<T>
  explicit Variable(std::initializer_list<std::initializer_list<T>> values,
                    VariableOptions options = {})
      : Variable(constant(values, options.dtype), options) {}
  /// The same with keyword arguments: Variable(0.0, _name = "k", _trainable = false).
  template <class... K>
  requires(sizeof...(K) > 0 &&
           (KeywordFor<K, VariableOptions> && ...)) explicit Variable(const Tensor& initial_value,
                                                                      const K&... keywords)
      : Variable(initial_value, with_keywords<VariableOptions>(keywords...)) {}
  /// The same with keyword arguments in any order (core/keywords.h).
  template <class... K>
  requires(sizeof...(K) > 0 && (KeywordFor<K, VariableOptions> &&
                                ...)) explicit Variable(Scalar initial_value, const K&... keywords)
      : Variable(initial_value, with_keywords<VariableOptions>(keywords...)) {}
  template <class T, class... K>
  requires(std::is_arithmetic_v<T> && sizeof...(K) > 0 &&
           (KeywordFor<K, VariableOptions> &&
            ...)) explicit Variable(std::initializer_list<T> values, const K&... keywords)
      : Variable(values, with_keywords<VariableOptions>(keywords...)) {}
  template <class T, class... K>
  requires(std::is_arithmetic_v<T> && sizeof...(K) > 0 &&
           (KeywordFor<K, VariableOptions> &&
            ...)) explicit Variable(std::initializer_list<std::initializer_list<T>> values,
                                    const K&... keywords)
      : Variable(values, with_keywords<VariableOptions>(keywords...)) {}

  bool defined() const { return state_ != nullptr; }
  /// The current value. Inside a recording GradientTape, use the variable itself (or read())
  /// so the tape sees the read.
  Tensor value() const;
  /// The current value as an op input: recorded by active tapes as a read of this variable.
  Tensor read() const;
  operator Tensor() const { return read(); }  // NOLINT: a Variable works wherever a Tensor does

  /// The name given (Keras 3's variable.name: "kernel").
  const std::string& name() const;
  /// Where it lives, as Keras 3's variable.path: "dense/kernel" for a layer's weight, else the
  /// name.
  const std::string& path() const;
  bool trainable() const;
  /// Keras variables can be frozen and unfrozen (keras.Variable.trainable is settable).
  void set_trainable(bool trainable);
  /// Whether reads inside an AutocastScope cast it (VariableOptions::autocast).
  bool autocast() const;
  Shape shape() const { return value().shape(); }
  std::int64_t shape(int axis) const { return value().shape(axis); }
  int rank() const { return value().rank(); }
  std::int64_t size() const { return value().size(); }
  DType dtype() const { return value().dtype(); }
  Device device() const { return value().device(); }
  /// The identity a GradientTape tracks: the same for every read of this variable.
  std::uint64_t id() const;

  /// Replaces the value; shape and dtype must match (ShapeError / DTypeError otherwise).
  Variable& assign(const Operand& value);
  Variable& assign_add(const Operand& delta);
  Variable& assign_sub(const Operand& delta);
  template <class T>
  requires std::is_arithmetic_v<T> Variable& assign(std::initializer_list<T> values) {
    return assign(constant(values, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> Variable& assign_add(std::initializer_list<T> values) {
    return assign_add(constant(values, dtype()));
  }
  template <class T>
  requires std::is_arithmetic_v<T> Variable& assign_sub(std::initializer_list<T> values) {
    return assign_sub(constant(values, dtype()));
  }

  /// `v += x` is an error, as in TensorFlow: write v.assign_add(x) to change the variable, or
  /// `Tensor y = v + x;` for a new tensor.
  Variable& operator+=(const Operand&) = delete;
  Variable& operator-=(const Operand&) = delete;
  Variable& operator*=(const Operand&) = delete;
  Variable& operator/=(const Operand&) = delete;

  /// `v[i]`, `v[a:b]`, `v[...]` as a slice that can be assigned: `v[0].assign(10)` writes into v.
  VariableSlice operator[](std::int64_t i) const;
  VariableSlice slice(std::int64_t start, std::int64_t stop, std::int64_t step = 1) const;
  template <class... I>
  requires(std::is_constructible_v<Index, const I&>&&...) VariableSlice index(const I&... entries)
  const;
  VariableSlice index(const std::vector<Index>& entries) const;

  /// A new variable holding a copy of this one's value (tf.Variable(v1)).
  Variable clone(std::optional<VariableOptions> options = std::nullopt) const;

  template <class T>
  std::vector<T> to_vector() const {
    return value().to_vector<T>();
  }
  template <class T>
  T item() const {
    return value().item<T>();
  }
  /// `<ember.Variable 'name' shape=(4,) dtype=float32, numpy=[1. 2. 3. 4.]>`
  std::string to_string() const;

 private:
  struct State;
  friend void* detail::exclusive_data(Variable& v);
  friend void detail::set_path(Variable& v, std::string path);
  void check_defined(const char* op) const;
  std::shared_ptr<State> state_;
};

/// A slice of a variable, taken by Variable::operator[] / slice / index. Reading it gives the
/// values at the time it was taken; assign() writes into the variable.
class VariableSlice {
 public:
  VariableSlice(Variable variable, std::vector<Index> entries);
  operator Tensor() const { return snapshot_; }  // NOLINT
  const Tensor& value() const { return snapshot_; }
  Shape shape() const { return snapshot_.shape(); }
  /// Reads further into the slice: `v[1][2]` (a value; assign through `v.index(1, 2)`).
  Tensor operator[](std::int64_t i) const { return snapshot_[i]; }
  /// Writes `value` (broadcast to the slice's shape, of the variable's dtype) into the variable.
  Variable& assign(const Operand& value);
  template <class T>
  requires std::is_arithmetic_v<T> Variable& assign(std::initializer_list<T> values) {
    return assign(constant(values, variable_.dtype()));
  }

 private:
  Variable variable_;
  std::vector<Index> entries_;
  Tensor snapshot_;
};

template <class... I>
requires(std::is_constructible_v<Index, const I&>&&...)
    VariableSlice Variable::index(const I&... entries)
const { return index(std::vector<Index>{Index(entries)...}); }

std::ostream& operator<<(std::ostream& out, const Variable& v);
/// A list of variables as Python prints one: `[<ember.Variable 'w' ...>, <ember.Variable 'b'
/// ...>]`.
std::ostream& operator<<(std::ostream& out, const std::vector<Variable>& variables);
std::ostream& operator<<(std::ostream& out, const VariableSlice& s);

namespace detail {
/// Sees every variable read (Variable::read, or a Variable used as a Tensor) on its thread while
/// installed: a Keras layer's first call tracks the variables it reads (layers/engine/layer.cpp).
class VariableReadObserver {
 public:
  virtual void on_read(const Variable& variable) = 0;

 protected:
  ~VariableReadObserver() = default;
};
/// Installs `observer` (nullptr: none) on this thread and returns the one it replaces.
VariableReadObserver* set_variable_read_observer(VariableReadObserver* observer);

/// Sets the variable's path (a layer's weight: "<layer name>/<weight name>").
void set_path(Variable& v, std::string path);

/// Writable data of the variable's value for an in-place update (optimizers), copying the value
/// first when anything else shares its storage, so earlier reads keep their values.
void* exclusive_data(Variable& v);
}  // namespace detail

}  // namespace ember
