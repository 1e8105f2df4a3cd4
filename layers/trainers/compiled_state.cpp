#include "layers/trainers/compiled_state.h"

#include <algorithm>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "layers/saving/compile_config.h"

namespace ember::keras {

// --- the option types' out-of-line parts
// ---------------------------------------------------------------

OptimizerRef::OptimizerRef(const char* name) : OptimizerRef(std::string(name)) {}
OptimizerRef::OptimizerRef(const std::string& name) : optimizer_(optim::get(name)) {}

JitCompile::JitCompile(const char* text) : JitCompile(std::string(text)) {}
JitCompile::JitCompile(const std::string& text) : value_(Value::automatic) {
  if (text != "auto") {
    throw Error(cat("compile: jit_compile must be true, false or \"auto\", got \"", text, "\""));
  }
}

std::vector<Tensor> Tensors::ordered(const std::vector<std::string>& names,
                                     const std::string& what) const {
  if (!by_name()) {
    if (list_.size() != names.size()) {
      throw Error(cat(what, ": the model takes ", names.size(), " tensor(s) here but ",
                      list_.size(), " were given"));
    }
    for (const Tensor& t : list_) {
      if (!t.defined()) throw Error(cat(what, ": a tensor is undefined"));
    }
    return list_;
  }
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  for (const auto& [key, value] : named_) {
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      throw Error(cat(what, ": no input or output is named '", key, "'; the names are ", known));
    }
  }
  std::vector<Tensor> out;
  for (const std::string& n : names) {
    auto it = named_.find(n);
    if (it == named_.end())
      throw Error(cat(what, ": nothing given for '", n, "'; the names are ", known));
    out.push_back(it->second);
  }
  return out;
}

namespace detail {

CompiledState::CompiledState(CompileOptions options, const Device& device)
    : options_(std::move(options)), device_(device), optimizer_(options_.optimizer.get()) {
  if (!optimizer_) throw Error("compile: the optimizer is empty");
  const DeviceScope scope(device_);
  loss_tracker_ = std::make_shared<metrics::Mean>("loss");
  // Written now, while metric objects still carry the names they were given (training renames
  // them after their outputs).
  try {
    saved_arguments_ = compile_config(options_, *optimizer_);
  } catch (const Error& e) {
    unsaved_reason_ = e.what();
  }
}

Config CompiledState::saved_config() const {
  if (!unsaved_reason_.empty()) throw Error(unsaved_reason_);
  Config config = saved_arguments_;
  config["optimizer"] =
      optim::serialize(*optimizer_);  // as it is now (a learning rate changed by callbacks)
  return config;
}

std::vector<metrics::MetricRef> CompiledState::metric_refs_for(const MetricsSpec& spec,
                                                               const std::string& output,
                                                               std::size_t index,
                                                               std::size_t outputs) const {
  // Copies share what they refer to: a metric object is handed out once, then cloned (MetricRef).
  if (!spec.by_name()) {
    if (outputs == 1 || spec.list().empty()) return spec.list();
    return {spec.list()[index]};  // Keras 3: a list for several outputs has one entry per output
  }
  auto it = spec.named().find(output);
  return it == spec.named().end() ? std::vector<metrics::MetricRef>{} : it->second;
}

namespace {

std::string metric_names(const std::vector<metrics::MetricRef>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const metrics::MetricRef& m = list[i];
    const std::string name = !m.given_name().empty() ? m.given_name()
                             : m.object()            ? m.object()->name()
                                                     : "<function>";
    out += cat(i ? ", " : "", "'", name, "'");
  }
  return out + "]";
}

// Keras 3 refuses a flat list of metrics for a model with several outputs unless it has one
// entry per output (TF 2's Keras applied it to every output); the same message.
void check_metric_list(const MetricsSpec& spec, const char* what,
                       const std::vector<std::string>& output_names) {
  const std::size_t n = output_names.size();
  if (n < 2 || spec.by_name() || spec.list().empty() || spec.list().size() == n) return;
  std::string names = "[", structure = "[";
  for (std::size_t i = 0; i < n; ++i) {
    names += cat(i ? ", " : "", "'", output_names[i], "'");
    structure += cat(i ? ", " : "", "'X'");
  }
  throw Error(cat("Invalid `", what, "`. `", what,
                  "` should contain metrics objects and either be a dict or a list matching the "
                  "output names of the functional model ",
                  names, "] or match the output structure of the model: ", structure,
                  "].\nReceived: ", what, "=", metric_names(spec.list())));
}

}  // namespace

void CompiledState::build(const std::vector<std::string>& output_names,
                          const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred) {
  const std::size_t n = y_pred.size();
  if (output_names.size() != n)
    throw Error(cat("compile: ", output_names.size(), " output names for ", n, " outputs"));
  std::string known;
  for (const std::string& name : output_names) known += (known.empty() ? "" : ", ") + name;
  const auto check_names = [&](const auto& map, const char* what) {
    for (const auto& entry : map) {
      if (std::find(output_names.begin(), output_names.end(), entry.first) == output_names.end()) {
        throw Error(cat("compile: ", what, " names '", entry.first,
                        "', which is not an output of the model; its outputs are ", known));
      }
    }
  };
  const LossSpec& loss = options_.loss;
  if (loss.kind() == LossSpec::Kind::list && loss.list().size() != n) {
    throw Error(cat("compile: `loss` lists ", loss.list().size(), " losses but the model has ", n,
                    " outputs (", known, ")"));
  }
  if (loss.kind() == LossSpec::Kind::named) check_names(loss.named(), "`loss`");
  const LossWeights& weights = options_.loss_weights;
  if (!weights.list().empty() && weights.list().size() != n) {
    throw Error(cat("compile: `loss_weights` lists ", weights.list().size(),
                    " weights but the model has ", n, " outputs (", known, ")"));
  }
  check_names(weights.named(), "`loss_weights`");
  check_metric_list(options_.metrics, "metrics", output_names);
  check_metric_list(options_.weighted_metrics, "weighted_metrics", output_names);
  if (options_.metrics.by_name()) check_names(options_.metrics.named(), "`metrics`");
  if (options_.weighted_metrics.by_name())
    check_names(options_.weighted_metrics.named(), "`weighted_metrics`");

  const DeviceScope scope(device_);
  outputs_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    Output out;
    out.name = output_names[i];
    const Shape true_shape = i < y.size() && y[i].defined() ? y[i].shape() : y_pred[i].shape();
    const Shape pred_shape = y_pred[i].shape();
    losses::LossRef ref;
    if (loss.kind() == LossSpec::Kind::single)
      ref = loss.single();
    else if (loss.kind() == LossSpec::Kind::list)
      ref = loss.list()[i];
    else if (auto it = loss.named().find(out.name); it != loss.named().end())
      ref = it->second;
    if (ref) out.loss = ref.resolve(true_shape, pred_shape);
    if (!weights.list().empty()) out.loss_weight = weights.list()[i];
    if (auto it = weights.named().find(out.name); it != weights.named().end())
      out.loss_weight = it->second;
    for (const auto& m : metric_refs_for(options_.metrics, out.name, i, n))
      out.metrics.push_back(m.resolve(true_shape, pred_shape));
    for (const auto& m : metric_refs_for(options_.weighted_metrics, out.name, i, n)) {
      out.weighted_metrics.push_back(m.resolve(true_shape, pred_shape));
    }
    if (n > 1 && out.loss) out.loss_tracker = std::make_shared<metrics::Mean>(out.name + "_loss");
    outputs_.push_back(std::move(out));
  }
  // With several outputs metrics are named after theirs ("class_output_accuracy"); renamed only
  // now, so that copies made for later outputs start from the metric's own name.
  if (n > 1) {
    for (Output& out : outputs_) {
      for (auto& m : out.metrics) m->set_name(out.name + "_" + m->name());
      for (auto& m : out.weighted_metrics) m->set_name(out.name + "_" + m->name());
    }
  }
  built_ = true;
}

Tensor CompiledState::compiled_loss(const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred,
                                    const Tensor& sample_weight) {
  if (y_pred.size() != outputs_.size()) {
    throw Error(cat("the model returned ", y_pred.size(), " outputs, but it was compiled for ",
                    outputs_.size()));
  }
  Tensor total;
  for (std::size_t i = 0; i < outputs_.size(); ++i) {
    Output& out = outputs_[i];
    out.last_loss = Tensor();
    if (!out.loss) continue;
    if (i >= y.size() || !y[i].defined()) {
      throw Error(cat("output '", out.name, "' has a loss (", out.loss->name(),
                      ") but no targets were given for it"));
    }
    out.last_loss = (*out.loss)(y[i], y_pred[i], sample_weight);
    if (out.last_loss.rank() != 0) {
      throw ShapeError(cat("loss '", out.loss->name(), "' of output '", out.name, "' gave shape ",
                           out.last_loss.shape(),
                           "; a training loss must reduce to a scalar (reduction \"none\" cannot "
                           "be used in compile)"));
    }
    const Tensor weighted =
        out.loss_weight == 1.0 ? out.last_loss : out.last_loss * out.loss_weight;
    total = total.defined() ? total + weighted : weighted;
  }
  return total;
}

void CompiledState::update_loss_trackers(const Tensor& total, std::int64_t batch_size) {
  const autodiff::PauseAll untaped;
  const DeviceScope on_device(total.device());  // made there: no host-to-device copy per step
  const Tensor rows = fill(Shape{}, Scalar(static_cast<float>(batch_size)));
  loss_tracker_->update_state(total, rows);
  for (Output& out : outputs_) {
    if (out.loss_tracker && out.last_loss.defined())
      out.loss_tracker->update_state(out.last_loss, rows);
  }
}

void CompiledState::update_metrics(
    const std::vector<Tensor>& y, const std::vector<Tensor>& y_pred, const Tensor& sample_weight,
    const std::vector<std::pair<std::string, Tensor>>& layer_metrics) {
  const autodiff::PauseAll untaped;
  for (std::size_t i = 0; i < outputs_.size() && i < y_pred.size(); ++i) {
    Output& out = outputs_[i];
    if (out.metrics.empty() && out.weighted_metrics.empty()) continue;
    if (i >= y.size() || !y[i].defined()) continue;
    // Metrics accumulate in float32 (Keras' metric dtype): 16-bit predictions are widened.
    const Tensor predicted = is_half(y_pred[i].dtype()) ? cast(y_pred[i], float32) : y_pred[i];
    for (auto& m : out.metrics) m->update_state(y[i], predicted);
    for (auto& m : out.weighted_metrics) m->update_state(y[i], predicted, sample_weight);
  }
  for (const auto& entry : layer_metrics) {
    // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
    const auto& name = entry.first;
    const auto& value = entry.second;
    auto it = std::find_if(layer_metric_trackers_.begin(), layer_metric_trackers_.end(),
                           [&](const auto& m) { return m->name() == name; });
    if (it == layer_metric_trackers_.end()) {
      const DeviceScope scope(value.device());
      layer_metric_trackers_.push_back(std::make_shared<metrics::Mean>(name));
      it = layer_metric_trackers_.end() - 1;
    }
    (*it)->update_state(value);
  }
}

void CompiledState::reset() {
  for (const auto& m : metrics()) m->reset_state();
}

std::vector<std::shared_ptr<metrics::Metric>> CompiledState::metrics() const {
  std::vector<std::shared_ptr<metrics::Metric>> out{loss_tracker_};
  for (const Output& o : outputs_) {
    if (o.loss_tracker) out.push_back(o.loss_tracker);
  }
  for (const Output& o : outputs_) {
    out.insert(out.end(), o.metrics.begin(), o.metrics.end());
    out.insert(out.end(), o.weighted_metrics.begin(), o.weighted_metrics.end());
  }
  out.insert(out.end(), layer_metric_trackers_.begin(), layer_metric_trackers_.end());
  return out;
}

std::vector<Logs::Entry> CompiledState::results() const {
  std::vector<Logs::Entry> out;
  for (const auto& m : metrics()) {
    const Tensor value = m->result();
    if (value.rank() == 0) {
      out.emplace_back(m->name(), value.dtype() == float64 ? value.item<double>()
                                                           : cast(value, float32).item<float>());
    } else {
      // A metric with several thresholds logs one value per threshold: name_0, name_1, ...
      const std::vector<float> values = cast(value, float32).to_vector<float>();
      for (std::size_t i = 0; i < values.size(); ++i)
        out.emplace_back(cat(m->name(), "_", i), values[i]);
    }
  }
  return out;
}

std::optional<metrics::Direction> CompiledState::direction_of(const std::string& name) const {
  for (const auto& m : metrics()) {
    if (m->name() == name) {
      if (m->name() == "loss" || m->name().ends_with("_loss")) return metrics::Direction::down;
      return m->direction();
    }
  }
  return std::nullopt;
}

}  // namespace detail
}  // namespace ember::keras
