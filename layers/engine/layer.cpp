#include "layers/engine/layer.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <ostream>
#include <typeinfo>

#include "core/autocast.h"
#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/naming.h"
#include "core/ops.h"
#include "core/print_list.h"
#include "core/tensor_impl.h"

namespace ember::keras {

// The calls in progress on this thread (innermost last): their training flag, which a layer
// called without one inherits from its caller as in Keras, and their layer, which adopts the layers
// called inside it. While a layer's first call runs, the context also sees the variables read on
// this thread and gives those read directly in that call (not in a sublayer's) to the layer.
class CallContext final : public detail::VariableReadObserver {
 public:
  enum class Kind { call, shape_probe };

  CallContext(Layer* layer, std::optional<bool> training, Kind kind = Kind::call) : layer_(layer) {
    auto& stack = frames();
    training_ = training.value_or(stack.empty() ? false : stack.back().training);
    if (stack.empty()) {
      layer->clear_call_state();  // a new top-level call: fresh losses
    } else if (kind == Kind::call) {
      // (A shape probe is a symbolic call: building a graph inside a call does not make its
      // layers sublayers of the caller; the graph's model does.)
      stack.back().layer->adopt(*layer);
    }
    stack.push_back({training_, layer});
    if (!layer->first_call_done_) {
      previous_observer_ = detail::set_variable_read_observer(this);
      observing_ = true;
    }
  }
  ~CallContext() {
    frames().pop_back();
    if (observing_) detail::set_variable_read_observer(previous_observer_);
  }
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;
  bool training() const { return training_; }
  /// The layer's call completed: it stops adopting variables.
  void completed() { layer_->first_call_done_ = true; }

  void on_read(const Variable& variable) override {
    if (frames().back().layer == layer_) {
      layer_->adopt(variable);
    } else if (previous_observer_ != nullptr) {
      previous_observer_->on_read(variable);  // read in a sublayer's call: not ours
    }
  }

 private:
  struct Frame {
    bool training;
    Layer* layer;
  };
  static std::vector<Frame>& frames() {
    thread_local std::vector<Frame> stack;
    return stack;
  }
  Layer* layer_;
  bool training_;
  bool observing_ = false;
  detail::VariableReadObserver* previous_observer_ = nullptr;
};

namespace {

std::mutex& names_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, int>& name_counts() {
  static std::map<std::string, int> counts;
  return counts;
}

// Re-throws an error from building or shape inference with the layer named first.
template <class F>
auto naming_errors(const Layer& layer, F&& f) {
  const auto prefix = [&] {
    return cat("layer '", layer.name(), "' (", layer.class_name(), "): ");
  };
  try {
    return f();
  } catch (const ShapeError& e) {
    throw ShapeError(prefix() + e.what());
  } catch (const DTypeError& e) {
    throw DTypeError(prefix() + e.what());
  } catch (const IndexError& e) {
    throw IndexError(prefix() + e.what());
  }
}

}  // namespace

std::string snake_case(const std::string& class_name) {
  std::string out;
  for (std::size_t i = 0; i < class_name.size(); ++i) {
    const unsigned char c = class_name[i];
    if (std::isupper(c)) {
      const bool after_lower =
          i > 0 && !std::isupper(static_cast<unsigned char>(class_name[i - 1]));
      const bool before_lower =
          i + 1 < class_name.size() && std::islower(static_cast<unsigned char>(class_name[i + 1]));
      if (i > 0 && (after_lower || before_lower)) out += '_';
      out += static_cast<char>(std::tolower(c));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string unique_name(const std::string& base) {
  std::lock_guard<std::mutex> lock(names_mutex());
  const int n = name_counts()[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

void clear_session() {
  std::lock_guard<std::mutex> lock(names_mutex());
  name_counts().clear();
}

Layer::Layer(LayerOptions options)
    : Module(std::move(options.name)),
      trainable_(options.trainable),
      policy_(options.dtype.value_or(mixed_precision::global_policy())),
      input_shape_(options.input_shape) {}

void Layer::set_dtype_policy(const DTypePolicy& policy) {
  if (built_) {
    throw Error(cat("layer '", name(),
                    "': set_dtype_policy after the layer was built; its weights ",
                    "already have their dtype (set the policy when making the layer)"));
  }
  policy_ = policy;
}

Layer::~Layer() {
  for (Layer* adopter : adopters_) {
    adopter->forget_child(this);
    std::erase(adopter->adopted_, this);
  }
  for (Layer* child : adopted_) std::erase(child->adopters_, this);
  if (unowned_references_ && unowned_references_.use_count() > 1) {
    // A model, graph or list of layers still refers to this layer, which no handle owns: it would
    // dangle. Say which and stop, rather than fail at random later.
    const std::string message =
        cat("ember: layer '", name_.empty() ? std::string("?") : name_, "' was destroyed while ",
            unowned_references_.use_count() - 1,
            " reference(s) to it (a model, a symbolic tensor or a list of layers) still live. A ",
            "layer or model on the stack must outlive the models built from it: declare it ",
            "first, or make it with keras::make<T>(...)\n");
    std::fputs(message.c_str(), stderr);
    std::abort();
  }
}

std::ostream& operator<<(std::ostream& out, const Layer& layer) {
  return out << "<" << layer.class_name() << " name=" << layer.name()
             << ", built=" << (layer.built() ? "True" : "False") << ">";
}

std::ostream& operator<<(std::ostream& out, const std::vector<LayerHandle>& layers) {
  return ember::detail::print_list(out, layers);
}

Handle<Layer> Layer::handle() {
  if (std::shared_ptr<Layer> owned = weak_from_this().lock()) return owned;
  if (!unowned_references_) unowned_references_ = std::make_shared<const char>('\0');
  return std::shared_ptr<Layer>(unowned_references_, this);  // shares the count, owns nothing
}

const std::string& Layer::name() const {
  if (name_.empty()) name_ = unique_name(snake_case(class_name()));
  return name_;
}

std::string Layer::class_name() const { return class_name_of(typeid(*this)); }

std::string class_name_of(const std::type_info& type) { return ember::detail::class_name_of(type); }

Config Layer::get_config() const {
  return {{"name", name()}, {"trainable", trainable_}, {"dtype", policy_.get_config()}};
}

void Layer::build(const Shape&) {}

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) build(input_shapes[0]);
}

Tensor Layer::call(const Tensor&) {
  throw Error(cat("layer '", name(), "' (", class_name(),
                  ") does not define call(); override one of ",
                  "call(x), call(x, training) or call(inputs, training)"));
}

Tensor Layer::call(const Tensor& inputs, bool) { return call(inputs); }

std::vector<Tensor> Layer::call(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1) {
    throw Error(
        cat("layer '", name(), "' (", class_name(), ") takes one input, got ", inputs.size()));
  }
  return {call(inputs[0], training)};
}

void Layer::ensure_built(const std::vector<Shape>& input_shapes) {
  if (built_) return;
  build_input_shapes_ = input_shapes;
  if (input_shapes.size() == 1) {
    build(input_shapes[0]);
  } else {
    build(input_shapes);
  }
  built_ = true;
}

namespace {

// Keras' rule for the AutocastScope a call runs in: a layer with a mixed policy opens one for its
// compute dtype; inside another layer's scope, a layer moves it to its own compute dtype when the
// two differ.
void open_autocast_scope(std::optional<AutocastScope>& scope, const DTypePolicy& policy) {
  const std::optional<DType> current = autocast_dtype();
  if (current) {
    if (*current != policy.compute_dtype()) scope.emplace(policy.compute_dtype());
  } else if (policy.mixed()) {
    scope.emplace(policy.compute_dtype());
  }
}

}  // namespace

Tensor Layer::converted_input(const Tensor& x) const {
  if (!converts_inputs() || !is_floating(x.dtype()) || x.dtype() == compute_dtype()) return x;
  return cast(x, compute_dtype());
}

Tensor Layer::operator()(const Tensor& raw_inputs, std::optional<bool> training) {
  detail::check_defined(raw_inputs, name().c_str());
  const Tensor inputs = converted_input(raw_inputs);
  CallContext context(this, training);
  std::optional<AutocastScope> autocast;
  open_autocast_scope(autocast, policy_);
  naming_errors(*this, [&] { ensure_built({inputs.shape()}); });
  Tensor output = call(inputs, context.training());
  context.completed();
  return output;
}

std::vector<Tensor> Layer::operator()(const std::vector<Tensor>& raw_inputs,
                                      std::optional<bool> training) {
  std::vector<Tensor> inputs;
  std::vector<Shape> shapes;
  for (const Tensor& t : raw_inputs) {
    detail::check_defined(t, name().c_str());
    inputs.push_back(converted_input(t));
    shapes.push_back(t.shape());
  }
  CallContext context(this, training);
  std::optional<AutocastScope> autocast;
  open_autocast_scope(autocast, policy_);
  naming_errors(*this, [&] { ensure_built(shapes); });
  std::vector<Tensor> outputs = call(inputs, context.training());
  context.completed();
  return outputs;
}

KerasTensor Layer::operator()(const KerasTensor& inputs) {
  const std::vector<KerasTensor> outputs = (*this)(std::vector<KerasTensor>{inputs});
  if (outputs.size() != 1) {
    throw Error(cat("layer '", name(), "' has ", outputs.size(),
                    " outputs; call it with a list to get them"));
  }
  return outputs[0];
}

std::vector<KerasTensor> Layer::operator()(const std::vector<KerasTensor>& inputs) {
  const std::shared_ptr<Layer> self = handle().shared();
  std::vector<Shape> shapes;
  std::vector<DType> dtypes;
  for (const KerasTensor& t : inputs) {
    if (!t.defined())
      throw Error(cat("layer '", name(), "': an input symbolic tensor is undefined"));
    shapes.push_back(t.shape());
    dtypes.push_back(t.dtype());
  }
  auto node = std::make_shared<Node>();
  naming_errors(*this, [&] {
    ensure_built(shapes);
    node->output_shapes = compute_output_shape(shapes);
    node->output_dtypes = compute_output_dtype(dtypes);
  });
  node->output_dtypes.resize(node->output_shapes.size(), DType::float32);
  node->layer = self;
  node->inputs = inputs;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i)
    node->output_ids.push_back(detail::next_tensor_id());
  node->index_in_layer = static_cast<int>(nodes_.size());
  nodes_.push_back(node);
  std::vector<KerasTensor> outputs;
  for (std::size_t i = 0; i < node->output_shapes.size(); ++i)
    outputs.emplace_back(node, static_cast<int>(i));
  return outputs;
}

std::vector<Shape> Layer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  // Run the layer on zeros (unknown sizes as 1), untaped, on the device of its weights (which
  // build() put on the default device): a probe on another device would meet them in an op.
  const autodiff::PauseAll untaped;
  const std::vector<Variable> own = weights();
  const DeviceScope on_weights(own.empty() ? default_device() : own.front().device());
  std::vector<Tensor> probes;
  for (const Shape& s : input_shapes) {
    std::vector<std::int64_t> dims = s.dims();
    for (auto& d : dims) d = d < 0 ? 1 : d;
    probes.push_back(zeros(Shape(dims)));
  }
  CallContext context(this, false, CallContext::Kind::shape_probe);
  const std::vector<Tensor> outputs = call(probes, false);
  context.completed();
  const bool batch_unknown =
      !input_shapes.empty() && input_shapes[0].rank() > 0 && input_shapes[0][0] < 0;
  std::vector<Shape> shapes;
  for (const Tensor& t : outputs) {
    std::vector<std::int64_t> dims = t.shape().dims();
    if (batch_unknown && !dims.empty()) dims[0] = -1;
    shapes.emplace_back(dims);
  }
  return shapes;
}

std::vector<DType> Layer::compute_output_dtype(const std::vector<DType>& input_dtypes) {
  // A layer computes in its policy's dtype (its floating inputs are cast to it); a container that
  // does not convert passes its first input's floating dtype on.
  if (!converts_inputs() && !input_dtypes.empty() && is_floating(input_dtypes[0])) {
    return {input_dtypes[0]};
  }
  return {compute_dtype()};
}

Variable Layer::add_weight(const std::string& name, const Shape& shape,
                           const initializers::InitializerRef& initializer, bool trainable,
                           const regularizers::RegularizerRef& regularizer, bool autocast) {
  for (std::int64_t d : shape) {
    if (d < 0) {
      throw ShapeError(cat("layer '", this->name(), "': add_weight(\"", name, "\") with shape ",
                           shape, ": every dimension must be known"));
    }
  }
  const autodiff::PauseAll untaped;
  // Keras 3: the variable's name is the weight's, its path the layer's and the weight's.
  Variable v(initializer(shape, variable_dtype()),
             {.name = name, .trainable = trainable && trainable_, .autocast = autocast});
  ember::detail::set_path(v, this->name() + "/" + name);
  weights_.push_back({v, trainable, regularizer});
  track(v);
  return v;
}

void Layer::collect_variables(std::vector<Variable>& out, std::unordered_set<std::uint64_t>& seen,
                              bool trainable_only) const {
  if (trainable_only && !trainable_) return;
  // Keras' order: the weights created trainable, then the others, whatever is frozen now (so
  // weight files and get_weights() keep their order when a layer is frozen); the trainable ones
  // are that list filtered, as Keras' trainable_weights.
  for (const bool created_trainable : {true, false}) {
    for (const Weight& w : weights_) {
      if (w.created_trainable != created_trainable || (trainable_only && !w.variable.trainable()))
        continue;
      if (seen.insert(w.variable.id()).second) out.push_back(w.variable);
    }
  }
  // Then what else it tracks, in the order it tracked it (Keras keeps creation order).
  collect_tracked(out, seen, trainable_only, /*by_name=*/false);
}

std::vector<Variable> Layer::weights() const { return variables(); }

std::vector<Variable> Layer::trainable_weights() const { return trainable_variables(); }

std::vector<Variable> Layer::non_trainable_weights() const {
  std::unordered_set<std::uint64_t> trainable;
  for (const Variable& v : trainable_weights()) trainable.insert(v.id());
  std::vector<Variable> out;
  for (const Variable& v : weights()) {
    if (!trainable.count(v.id())) out.push_back(v);
  }
  return out;
}

std::int64_t Layer::count_params() const {
  if (!built_) {
    throw Error(cat("count_params: layer '", name(),
                    "' is not built yet; call it on data or give it ", "an input shape first"));
  }
  std::int64_t n = 0;
  for (const Variable& v : weights()) n += v.size();
  return n;
}

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (Weight& w : weights_) {
    if (w.created_trainable) w.variable.set_trainable(trainable);
  }
  for (Layer* sub : sublayers()) sub->set_trainable(trainable);
}

void Layer::adopt(Layer& child) {
  if (&child == this) return;
  const auto& tracked = children();
  if (std::find(tracked.begin(), tracked.end(), &child) != tracked.end()) return;
  for (const Module* below : child.submodules()) {
    if (below == this) return;  // the child holds this layer: tracking it would make a cycle
  }
  if (std::shared_ptr<Layer> owned = child.weak_from_this().lock()) {
    Module::track(std::move(owned));
  } else {
    Module::track(child);
    adopted_.push_back(&child);
    child.adopters_.push_back(this);
  }
}

void Layer::adopt(const Variable& variable) {
  for (const Variable& v : variables()) {
    if (v.id() == variable.id()) return;
  }
  track(variable);
}

std::vector<Layer*> Layer::sublayers() const {
  std::vector<Layer*> out;
  for (Module* child : children()) {
    if (auto* layer = dynamic_cast<Layer*>(child)) out.push_back(layer);
  }
  return out;
}

void Layer::add_loss(const Tensor& loss) {
  detail::check_defined(loss, "add_loss");
  losses_.push_back(loss.rank() == 0 ? loss : reduce_sum(loss));
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out = losses_;
  for (const Weight& w : weights_) {
    if (w.regularizer) out.push_back(w.regularizer(w.variable));
  }
  for (const Layer* sub : sublayers()) {
    const auto more = sub->losses();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

void Layer::add_metric(const Tensor& value, const std::string& name) {
  detail::check_defined(value, "add_metric");
  metrics_.emplace_back(name, value.rank() == 0 ? value : reduce_mean(value));
}

std::vector<std::pair<std::string, Tensor>> Layer::metrics_values() const {
  auto out = metrics_;
  for (const Layer* sub : sublayers()) {
    const auto more = sub->metrics_values();
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

void Layer::clear_call_state() {
  losses_.clear();
  metrics_.clear();
  for (Layer* sub : sublayers()) sub->clear_call_state();
}

std::vector<std::shared_ptr<const Node>> Layer::inbound_nodes() const {
  std::vector<std::shared_ptr<const Node>> out;
  for (const auto& weak : nodes_) {
    if (auto node = weak.lock()) out.push_back(node);
  }
  return out;
}

KerasTensor Layer::output() const {
  const auto nodes = inbound_nodes();
  if (nodes.empty()) {
    throw Error(cat("layer '", name(),
                    "' has no output: it has not been called on symbolic tensors ",
                    "(keras::Input), or that graph is gone"));
  }
  if (nodes[0]->output_shapes.size() != 1) {
    throw Error(cat("layer '", name(), "' has ", nodes[0]->output_shapes.size(), " outputs"));
  }
  return KerasTensor(nodes[0], 0);
}

KerasTensor Layer::input() const {
  const auto nodes = inbound_nodes();
  if (nodes.empty() || nodes[0]->inputs.empty()) {
    throw Error(
        cat("layer '", name(), "' has no input: it has not been called on symbolic tensors"));
  }
  return nodes[0]->inputs[0];
}

}  // namespace ember::keras
