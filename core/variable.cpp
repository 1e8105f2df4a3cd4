#include "core/variable.h"

#include <ostream>

#include "core/autocast.h"
#include "core/autodiff/autodiff.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_support.h"
#include "core/ops/shape.h"
#include "core/print_list.h"
#include "core/tensor_impl.h"

namespace ember {

struct Variable::State {
  Tensor value;
  std::string name;
  std::string path;  // empty: the name
  bool trainable = true;
  bool autocast = true;
  std::uint64_t id = detail::next_tensor_id();
};

namespace {

// The value an assign writes: same shape and dtype as the variable, on its device.
Tensor checked_value(const Operand& v, const Tensor& current, const char* op) {
  Tensor t = v.is_scalar() ? detail::full({}, current.dtype(), current.device(),
                                          v.scalar().as(current.dtype(), op))
                           : v.tensor();
  detail::check_defined(t, op);
  if (t.dtype() != current.dtype()) {
    throw DTypeError(cat(op, ": the value has dtype ", dtype_name(t.dtype()),
                         " but the variable is ", dtype_name(current.dtype()), "; cast it first"));
  }
  return t.to(current.device());
}

}  // namespace

Variable::Variable(const Tensor& initial_value, VariableOptions options)
    : state_(std::make_shared<State>()) {
  detail::check_defined(initial_value, "Variable");
  const autodiff::PauseAll not_differentiable;  // the initial value is not part of any gradient
  // Tensors are immutable, so the variable may start from the very same storage (with an
  // identity of its own).
  const Tensor v = options.dtype ? cast(initial_value, *options.dtype) : initial_value;
  state_->value = detail::view(v, v.shape());
  state_->name = options.name;
  state_->trainable = options.trainable;
  state_->autocast = options.autocast;
}

Variable::Variable(Scalar initial_value, VariableOptions options)
    : Variable(constant(initial_value, options.dtype), options) {}

void Variable::check_defined(const char* op) const {
  if (!state_) throw Error(cat(op, ": the variable is undefined (default-constructed)"));
}

Tensor Variable::value() const {
  check_defined("Variable::value");
  if (trace::recording()) return trace::variable_read(*this, state_->value);
  return state_->value;
}

namespace {
thread_local detail::VariableReadObserver* read_observer = nullptr;
}  // namespace

detail::VariableReadObserver* detail::set_variable_read_observer(VariableReadObserver* observer) {
  VariableReadObserver* previous = read_observer;
  read_observer = observer;
  return previous;
}

Tensor Variable::read() const {
  check_defined("Variable::read");
  if (read_observer != nullptr) read_observer->on_read(*this);
  const Tensor read = [&] {
    if (!autodiff::any_recording()) return value();
    autodiff::on_variable_read(*this);
    const Tensor tracked = detail::view_with_id(state_->value, state_->id);
    return trace::recording() ? trace::variable_read(*this, tracked) : tracked;
  }();
  // Inside a mixed-precision layer's call: the float32 variable is read in the compute dtype.
  const std::optional<DType> target = autocast_dtype();
  if (target && state_->autocast && is_floating(read.dtype()) && read.dtype() != *target) {
    return cast(read, *target);
  }
  return read;
}

bool Variable::autocast() const {
  check_defined("Variable::autocast");
  return state_->autocast;
}

const std::string& Variable::name() const {
  check_defined("Variable::name");
  return state_->name;
}

const std::string& Variable::path() const {
  check_defined("Variable::path");
  return state_->path.empty() ? state_->name : state_->path;
}

void detail::set_path(Variable& v, std::string path) { v.state_->path = std::move(path); }

bool Variable::trainable() const {
  check_defined("Variable::trainable");
  return state_->trainable;
}

void Variable::set_trainable(bool trainable) {
  check_defined("Variable::set_trainable");
  state_->trainable = trainable;
}

std::uint64_t Variable::id() const {
  check_defined("Variable::id");
  return state_->id;
}

Variable& Variable::assign(const Operand& value) {
  check_defined("Variable::assign");
  if (trace::recording()) {
    trace::record_effect(
        "Variable.assign", [self = *this](const Operand& x) { Variable(self).assign(x); }, value);
    return *this;
  }
  const autodiff::PauseAll not_differentiable;
  const Tensor v = checked_value(value, state_->value, "Variable::assign");
  if (v.shape() != state_->value.shape()) {
    throw ShapeError(cat("Variable::assign: the value has shape ", v.shape(), " but variable '",
                         state_->name, "' has shape ", state_->value.shape()));
  }
  state_->value = detail::view(v, v.shape());
  return *this;
}

Variable& Variable::assign_add(const Operand& delta) {
  check_defined("Variable::assign_add");
  if (trace::recording()) {
    trace::record_effect(
        "Variable.assign_add", [self = *this](const Operand& x) { Variable(self).assign_add(x); },
        delta);
    return *this;
  }
  const autodiff::PauseAll not_differentiable;
  const Tensor next =
      add(state_->value, checked_value(delta, state_->value, "Variable::assign_add"));
  if (next.shape() != state_->value.shape()) {
    throw ShapeError(cat("Variable::assign_add: the value would change variable '", state_->name,
                         "' from shape ", state_->value.shape(), " to ", next.shape()));
  }
  state_->value = next;
  return *this;
}

Variable& Variable::assign_sub(const Operand& delta) {
  check_defined("Variable::assign_sub");
  if (trace::recording()) {
    trace::record_effect(
        "Variable.assign_sub", [self = *this](const Operand& x) { Variable(self).assign_sub(x); },
        delta);
    return *this;
  }
  const autodiff::PauseAll not_differentiable;
  const Tensor next =
      subtract(state_->value, checked_value(delta, state_->value, "Variable::assign_sub"));
  if (next.shape() != state_->value.shape()) {
    throw ShapeError(cat("Variable::assign_sub: the value would change variable '", state_->name,
                         "' from shape ", state_->value.shape(), " to ", next.shape()));
  }
  state_->value = next;
  return *this;
}

VariableSlice Variable::operator[](std::int64_t i) const { return index(std::vector<Index>{i}); }

VariableSlice Variable::slice(std::int64_t start, std::int64_t stop, std::int64_t step) const {
  return index(std::vector<Index>{Slice{start, stop, step}});
}

VariableSlice Variable::index(const std::vector<Index>& entries) const {
  check_defined("Variable::index");
  return VariableSlice(*this, entries);
}

Variable Variable::clone(std::optional<VariableOptions> options) const {
  check_defined("Variable::clone");
  VariableOptions o = options.value_or(
      VariableOptions{state_->name, state_->trainable, std::nullopt, state_->autocast});
  return Variable(state_->value, o);
}

std::string Variable::to_string() const {
  if (!state_) return "<ember.Variable (undefined)>";
  const Tensor& v = state_->value;
  return cat("<ember.Variable '", path(), "' shape=", v.shape(), " dtype=", dtype_name(v.dtype()),
             ", numpy=", v.values_string(), ">");
}

VariableSlice::VariableSlice(Variable variable, std::vector<Index> entries)
    : variable_(std::move(variable)), entries_(std::move(entries)) {
  snapshot_ = variable_.read().index(entries_);
}

Variable& VariableSlice::assign(const Operand& value) {
  if (trace::recording()) {
    trace::record_effect(
        "VariableSlice.assign",
        [slice = *this](const Operand& x) { VariableSlice(slice).assign(x); }, value);
    return variable_;
  }
  const autodiff::PauseAll not_differentiable;
  const Tensor current = variable_.value();
  const Tensor v = checked_value(value, current, "VariableSlice::assign");
  const detail::IndexRegion region = detail::resolve_index(current.shape(), entries_);
  const Shape target = broadcast_shapes(v.shape(), region.shape, "VariableSlice::assign");
  if (target != region.shape) {
    throw ShapeError(cat("VariableSlice::assign: a value of shape ", v.shape(),
                         " does not fit the slice of shape ", region.shape));
  }
  // Copy the variable's value, then overwrite the region: tensors read earlier keep theirs.
  Tensor next = detail::empty(current.shape(), current.dtype(), current.device());
  detail::copy_region(current, 0, detail::contiguous_layout(current.shape()), next, 0,
                      detail::contiguous_layout(current.shape()));
  StridedLayout src = detail::broadcast_layout(v.shape(), region.shape);
  detail::copy_region(v, 0, src, next, region.offset, region.layout);
  return variable_.assign(next);
}

namespace detail {
void* exclusive_data(Variable& v) {
  v.check_defined("exclusive_data");
  return exclusive_data(v.state_->value);
}
}  // namespace detail

std::ostream& operator<<(std::ostream& out, const Variable& v) { return out << v.to_string(); }
std::ostream& operator<<(std::ostream& out, const VariableSlice& s) { return out << s.value(); }

std::ostream& operator<<(std::ostream& out, const std::vector<Variable>& variables) {
  return detail::print_list(out, variables);
}

}  // namespace ember
