// Model::compile, fit, evaluate, predict and the *_on_batch methods: Keras 3's training loop.
// Per batch nothing is read back to the host: losses and metrics accumulate in device variables
// and are read when a callback asks (the progress bar, a few times a second at most).
#include <algorithm>
#include <cmath>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "distribute/gradient_reducer.h"
#include "layers/models/model.h"
#include "layers/trainers/compiled_state.h"
#include "layers/trainers/step_function.h"
#include "layers/trainers/step_profile.h"

namespace ember::keras {

// --- set-up
// -------------------------------------------------------------------------------------------

void Model::compile(CompileOptions options) {
  if (options.steps_per_execution < 1) {
    throw Error(
        cat("compile: steps_per_execution must be >= 1, got ", options.steps_per_execution));
  }
  // Keras' resolution: "auto" is off for an eager model and on otherwise; asked for with
  // run_eagerly, it is turned off with a warning.
  bool jit = options.jit_compile.is_auto() ? !options.run_eagerly : options.jit_compile.on();
  if (jit && options.run_eagerly) {
    warn("compile: if run_eagerly is true, jit_compile cannot also be true; disabling jit_compile");
    jit = false;
  }
  options.jit_compile = jit;
  // Keras 3: a model under mixed_float16 trains with dynamic loss scaling, its optimizer wrapped
  // unless it already is one.
  if (dtype_policy().name() == "mixed_float16" && options.optimizer.get() &&
      dynamic_cast<const optim::LossScaleOptimizer*>(options.optimizer.get().get()) == nullptr) {
    options.optimizer = std::make_shared<optim::LossScaleOptimizer>(options.optimizer.get());
  }
  // Keras: a model trains under the strategy whose scope made it (or compiles it); its
  // optimizer sums its gradients over that strategy's replicas.
  const std::shared_ptr<optim::Optimizer> optimizer = options.optimizer.get();
  std::optional<distribute::Strategy> strategy = distribute::current_strategy();
  if (!strategy) strategy = strategy_;
  if (!strategy && optimizer) strategy = optimizer->distribute_strategy();
  if (strategy && optimizer && optimizer->distribute_strategy() &&
      !(*optimizer->distribute_strategy() == *strategy)) {
    throw Error(cat("compile: model '", name(), "' and its optimizer were made under different ",
                    "distribution strategies; make both inside the same strategy.scope()"));
  }
  if (strategy && optimizer) optimizer->set_distribute_strategy(strategy);
  strategy_ = strategy;
  run_eagerly_ = options.run_eagerly;
  jit_compile_ = jit;
  steps_per_execution_ = options.steps_per_execution;
  compiled_ = std::make_shared<detail::CompiledState>(std::move(options), data_device());
  step_functions_.reset();
}

void Model::set_steps_per_execution(std::int64_t steps) {
  if (steps < 1) throw Error(cat("steps_per_execution must be >= 1, got ", steps));
  steps_per_execution_ = steps;
}

int Model::step_tracing_count() const {
  if (!step_functions_) return 0;
  return step_functions_->train.tracing_count() + step_functions_->test.tracing_count() +
         step_functions_->predict.tracing_count();
}

std::string Model::step_fingerprint() const {
  // What a trace captured: the layers, and which weights are trained and which are not.
  std::string fingerprint = cat(layers().size(), ":");
  for (const Variable& v : trainable_weights()) fingerprint += cat(v.id(), ",");
  fingerprint += "|";
  for (const Variable& v : non_trainable_weights()) fingerprint += cat(v.id(), ",");
  return fingerprint;
}

detail::StepFunctions& Model::step_functions() {
  std::string fingerprint = step_fingerprint();
  if (!step_functions_ || step_functions_->fingerprint != fingerprint) {
    step_functions_ = std::make_shared<detail::StepFunctions>();
    step_functions_->fingerprint = std::move(fingerprint);
  }
  return *step_functions_;
}

std::vector<std::vector<Tensor>> Model::run_execution(detail::StepFunctions& functions,
                                                      detail::StepFunction& function,
                                                      const std::vector<Batch>& batches,
                                                      const detail::StepFunction::Step& step) {
  // A step or a callback may call predict or evaluate after freezing a layer, which makes new
  // step functions: these stay alive until the execution (or the epoch holding them) ends.
  const std::shared_ptr<detail::StepFunctions> held = step_functions_;
  const bool warming_up = !function.warmed_up();
  std::vector<std::vector<Tensor>> results = function.run(batches, run_eagerly_, step);
  // The eager first step built what was not built (a subclassed model's weights): that is what
  // later traces capture, not a change to trace again for.
  if (warming_up) functions.fingerprint = step_fingerprint();
  return results;
}

void Model::run_replicated_execution(detail::StepFunctions& functions,
                                     detail::StepFunction& function,
                                     const std::vector<Batch>& batches,
                                     void (Model::*step)(const Batch&)) {
  // Under a strategy of several replicas: rank 0's weights first, this replica's rows of each
  // batch, and the metrics summed over the replicas after (distributed_training.cpp).
  const bool several = distributed();
  if (several) synchronize_replica_weights(batches);
  run_execution(functions, function, several ? replica_batches(batches) : batches,
                [this, step](const Batch& batch) {
                  (this->*step)(batch);  // virtual: a user's train_step or test_step
                  return std::vector<Tensor>{};
                });
  if (several) aggregate_replica_logs();
}

void Model::run_train_execution(detail::StepFunctions& functions,
                                const std::vector<Batch>& batches) {
  run_replicated_execution(functions, functions.train, batches, &Model::train_step);
}

void Model::run_test_execution(detail::StepFunctions& functions,
                               const std::vector<Batch>& batches) {
  run_replicated_execution(functions, functions.test, batches, &Model::test_step);
}

std::vector<std::vector<Tensor>> Model::run_predict_execution(detail::StepFunctions& functions,
                                                              const std::vector<Batch>& batches) {
  return run_execution(functions, functions.predict, batches,
                       [this](const Batch& batch) { return predict_step(batch); });
}

void Model::require_compiled(const char* method) const {
  if (!compiled_) {
    throw Error(cat(method, ": model '", name(),
                    "' must be compiled first: model.compile({.optimizer = ..., .loss = ...})"));
  }
}

optim::Optimizer& Model::optimizer() const {
  require_compiled("optimizer");
  return compiled_->optimizer();
}

Device Model::data_device() const {
  const std::vector<Variable> vars = weights();
  return vars.empty() ? default_device() : vars.front().device();
}

std::size_t Model::input_count() const { return is_functional() ? graph_inputs_.size() : 1; }

std::size_t Model::output_count_for_data() const {
  return is_functional() ? graph_outputs_.size() : 1;
}

std::vector<std::string> Model::input_names() const {
  std::vector<std::string> names;
  if (!is_functional()) return {"input_1"};
  for (const KerasTensor& t : graph_inputs_) names.push_back(t.node()->layer->name());
  return names;
}

std::vector<std::string> Model::output_names() const {
  std::vector<std::string> names;
  if (!is_functional()) return {"output_1"};
  for (const KerasTensor& t : graph_outputs_) names.push_back(t.node()->layer->name());
  return names;
}

std::vector<std::shared_ptr<metrics::Metric>> Model::metrics() const {
  return compiled_ ? compiled_->metrics() : std::vector<std::shared_ptr<metrics::Metric>>{};
}

void Model::reset_metrics() {
  if (compiled_) compiled_->reset();
  replica_logs_.reset();
}

std::optional<metrics::Direction> Model::metric_direction(const std::string& name) const {
  if (!compiled_) return std::nullopt;
  const std::string bare = name.starts_with("val_") ? name.substr(4) : name;
  return compiled_->direction_of(bare);
}

std::vector<Logs::Entry> Model::logs_now() const {
  if (replica_logs_) return *replica_logs_;  // the replicas' sums (distributed_training.cpp)
  return compiled_ ? compiled_->results() : std::vector<Logs::Entry>{};
}

// --- one batch
// ----------------------------------------------------------------------------------------

std::vector<Tensor> Model::forward(const std::vector<Tensor>& x, bool training) {
  if (!is_functional() && x.size() == 1) return {(*this)(x[0], training)};
  return (*this)(x, training);
}

Tensor Model::compute_loss(const Batch& batch, const std::vector<Tensor>& y_pred) {
  require_compiled("compute_loss");
  if (!compiled_->built()) {
    std::vector<std::string> names = output_names();
    if (!is_functional() && y_pred.size() > 1) {
      names.clear();
      for (std::size_t i = 0; i < y_pred.size(); ++i) names.push_back(cat("output_", i + 1));
    }
    compiled_->build(names, batch.y, y_pred);
  }
  Tensor total = compiled_->compiled_loss(batch.y, y_pred, batch.sample_weight);
  for (const Tensor& extra : losses()) {
    const Tensor scalar = extra.rank() == 0 ? extra : reduce_sum(extra);
    total = total.defined() ? total + scalar : scalar;
  }
  if (!total.defined()) {
    throw Error(cat("model '", name(),
                    "' has nothing to minimise: compile gave no loss for any output and no layer ",
                    "added a loss (add_loss)"));
  }
  // An empty share of a short global batch (several replicas) has a NaN mean loss: it adds
  // nothing to the trackers (its gradient is zero: see train_step).
  if (batch.size() > 0) compiled_->update_loss_trackers(total, batch.size());
  return total;
}

void Model::train_step(const Batch& batch) {
  optim::Optimizer& optimizer = compiled_->optimizer();
  // Under a strategy of several replicas, fit sums the gradients in buckets while the backward
  // pass runs (distribute/gradient_reducer.h); the optimizer then applies the sums as they are.
  const bool overlap = distributed() && strategy_->reduce_during_backward() &&
                       optimizer.distribute_strategy() &&
                       *optimizer.distribute_strategy() == *strategy_;
  std::optional<distribute::GradientReducer> reducer;
  std::vector<Tensor> y_pred;
  Tensor loss;
  std::vector<Variable> vars;
  std::vector<std::optional<Tensor>> grads;
  {
    GradientTape tape;
    y_pred = forward(batch.x, true);
    loss = compute_loss(batch, y_pred);
    vars = trainable_variables();
    if (vars.empty()) throw Error(cat("fit: model '", name(), "' has no trainable weights"));
    // The loss trackers saw the loss itself; the gradient is of the scaled loss when the
    // optimizer scales it (LossScaleOptimizer), and apply_gradients unscales.
    Tensor objective = optimizer.scale_loss(loss);
    // Under a strategy: this replica's part of the global batch's mean (see Batch). A replica
    // with no rows of a short last batch runs the step too (its buckets must match the
    // others'): its share is 0, and its gradients zeros.
    if (batch.replica_share.defined()) {
      objective = objective * cast(batch.replica_share, objective.dtype());
    }
    if (overlap) {
      reducer.emplace(*strategy_, vars);
      grads = tape.gradient(objective, vars,
                            [&](std::size_t i, const Tensor& g) { reducer->ready(i, g); });
    } else {
      grads = tape.gradient(objective, vars);
    }
  }
  if (batch.size() == 0) {
    // No rows, no gradient flows: the replica adds zeros (and takes part in the all-reduce).
    for (std::size_t i = 0; i < vars.size(); ++i) {
      if (!grads[i]) grads[i] = zeros_like(vars[i].value());
    }
  }
  if (reducer) {
    optimizer.apply_reduced_gradients(reducer->finish(grads), vars);
  } else {
    optimizer.apply_gradients(grads, vars);
  }
  compiled_->update_metrics(batch.y, y_pred, batch.sample_weight, metrics_values());
}

void Model::test_step(const Batch& batch) {
  if (batch.size() == 0) return;  // an empty share of a short global batch: nothing to add
  const autodiff::PauseAll untaped;
  const std::vector<Tensor> y_pred = forward(batch.x, false);
  compute_loss(batch, y_pred);
  compiled_->update_metrics(batch.y, y_pred, batch.sample_weight, metrics_values());
}

std::vector<Tensor> Model::predict_step(const Batch& batch) {
  const autodiff::PauseAll untaped;
  return forward(batch.x, false);
}

// --- data
// ---------------------------------------------------------------------------------------------

std::pair<std::vector<Tensor>, std::vector<Tensor>> Model::ordered_arrays(
    const Tensors& x, const Tensors& y, const Tensor& sample_weight,
    const std::string& method) const {
  if (x.empty()) throw Error(cat(method, ": no inputs (x) given"));
  std::vector<Tensor> inputs;
  if (is_functional()) {
    inputs = x.ordered(input_names(), method + ": x");
  } else {
    if (x.by_name())
      throw Error(cat(method, ": a subclassed model takes its inputs as a list, not by name"));
    inputs = x.list();
  }
  std::vector<Tensor> targets;
  if (!y.empty()) {
    if (is_functional()) {
      targets = y.ordered(output_names(), method + ": y");
    } else {
      if (y.by_name())
        throw Error(cat(method, ": a subclassed model takes its targets as a list, not by name"));
      targets = y.list();
    }
  }
  for (const Tensor& t : inputs) {
    if (!t.defined()) throw Error(cat(method, ": an input is undefined"));
  }
  const std::int64_t rows = inputs[0].rank() > 0 ? inputs[0].shape(0) : -1;
  const auto check = [&](const Tensor& t, const char* what) {
    if (!t.defined()) throw Error(cat(method, ": ", what, " is undefined"));
    if (t.rank() == 0 || t.shape(0) != rows) {
      throw ShapeError(
          cat(method, ": ", what, " has shape ", t.shape(), " but x has ", rows, " rows"));
    }
  };
  for (const Tensor& t : inputs) check(t, "an input");
  for (const Tensor& t : targets) check(t, "a target (y)");
  if (sample_weight.defined()) check(sample_weight, "sample_weight");
  // Keras 3 fails on these deep inside (an UnboundLocalError, a StopIteration); Keras 2 said
  // "Expected input data to be non-empty". A clear error here.
  if (rows == 0) {
    throw Error(cat(method, ": the data is empty (x has 0 rows); give at least one row"));
  }
  // A functional model knows its inputs' ranks: an input without its batch axis ((4,) for
  // Input({4})) would otherwise run as a batch of 4 scalars' rows.
  for (std::size_t i = 0; i < inputs.size() && i < graph_inputs_.size(); ++i) {
    const Shape& expected = graph_inputs_[i].shape();
    if (inputs[i].rank() != expected.rank()) {
      throw ShapeError(
          cat(method, ": input ", i, " has shape ", inputs[i].shape(), " but model '", name(),
              "' expects rank ", expected.rank(), " (batch, ",
              Shape(std::vector<std::int64_t>(expected.dims().begin() + 1, expected.dims().end())),
              "); add the batch axis (expand_dims(x, 0) for one sample)"));
    }
  }
  return {inputs, targets};
}

std::unique_ptr<detail::DataAdapter> Model::arrays_adapter(const Tensors& x, const Tensors& y,
                                                           const Tensor& sample_weight,
                                                           std::int64_t batch_size, bool shuffle,
                                                           const std::string& method) const {
  auto [inputs, targets] = ordered_arrays(x, y, sample_weight, method);
  return detail::array_adapter(inputs, targets, sample_weight, batch_size, shuffle, data_device());
}

namespace {

std::vector<Tensor> rows(const std::vector<Tensor>& tensors, std::int64_t start,
                         std::int64_t stop) {
  std::vector<Tensor> out;
  for (const Tensor& t : tensors) out.push_back(t.slice(start, stop));
  return out;
}

}  // namespace

// --- fit
// ----------------------------------------------------------------------------------------------

std::unique_ptr<detail::DataAdapter> Model::validation_adapter(
    const FitOptions& options, std::int64_t default_batch_size) const {
  const ValidationData& v = options.validation_data;
  if (!v.given()) return nullptr;
  if (v.dataset())
    return detail::dataset_adapter(*v.dataset(), input_count(), output_count_for_data(),
                                   data_device());
  return arrays_adapter(v.x(), v.y(), v.sample_weight(),
                        options.validation_batch_size.value_or(default_batch_size), false,
                        "fit: validation_data");
}

History Model::fit(const Tensors& x, const Tensors& y, FitOptions options) {
  require_compiled("fit");
  if (!options.class_weight.empty() && options.sample_weight.defined()) {
    throw Error("fit: give class_weight or sample_weight, not both");
  }
  if (!(options.validation_split >= 0.0 && options.validation_split < 1.0)) {
    throw Error(cat("fit: validation_split must be in [0, 1), got ", options.validation_split));
  }
  const std::int64_t batch_size = options.batch_size.value_or(32);
  auto [inputs, targets] = ordered_arrays(x, y, options.sample_weight, "fit");
  Tensor sample_weight = options.sample_weight;
  std::unique_ptr<detail::DataAdapter> validation = validation_adapter(options, batch_size);
  const std::int64_t validation_batch = options.validation_batch_size.value_or(batch_size);
  if (!validation && options.validation_split > 0) {
    // Keras: the last rows, before any shuffling, are the validation set.
    const std::int64_t n = inputs[0].shape(0);
    const auto split_at = static_cast<std::int64_t>(
        std::floor(static_cast<double>(n) * (1.0 - options.validation_split)));
    if (split_at <= 0 || split_at >= n) {
      throw Error(cat("fit: validation_split = ", options.validation_split, " of ", n,
                      " rows leaves an empty training or validation set"));
    }
    validation =
        detail::array_adapter(rows(inputs, split_at, n), rows(targets, split_at, n),
                              sample_weight.defined() ? sample_weight.slice(split_at, n) : Tensor(),
                              validation_batch, false, data_device());
    inputs = rows(inputs, 0, split_at);
    targets = rows(targets, 0, split_at);
    if (sample_weight.defined()) sample_weight = sample_weight.slice(0, split_at);
  }
  auto train = detail::with_class_weight(
      detail::array_adapter(inputs, targets, sample_weight, batch_size,
                            options.shuffle.value_or(true), data_device()),
      options.class_weight);
  return run_fit(*train, validation.get(), options);
}

namespace {
void warn_batching_ignored(const FitOptions& options, const char* what) {
  if (options.batch_size) {
    warn(cat("fit: batch_size is ignored for a ", what, ", which gives its own batches"));
  }
  if (options.validation_split > 0) {
    throw Error(
        cat("fit: validation_split needs arrays; with a ", what, " give validation_data instead"));
  }
  if (options.sample_weight.defined()) {
    throw Error(cat("fit: sample_weight needs arrays; a ", what,
                    " gives weights as the last tensor of each batch"));
  }
}
}  // namespace

History Model::fit(const Dataset& data, FitOptions options) {
  require_compiled("fit");
  warn_batching_ignored(options, "Dataset");
  if (options.shuffle)
    warn(
        "fit: shuffle is ignored for a Dataset, which is read in its own order (shuffle it with "
        ".shuffle())");
  auto train = detail::with_class_weight(
      detail::dataset_adapter(data, input_count(), output_count_for_data(), data_device()),
      options.class_weight);
  return run_fit(*train, validation_adapter(options, 32).get(), options);
}

History Model::fit(Sequence& data, FitOptions options) {
  require_compiled("fit");
  warn_batching_ignored(options, "Sequence");
  auto train = detail::with_class_weight(
      detail::sequence_adapter(data, input_count(), output_count_for_data(),
                               options.shuffle.value_or(true), data_device()),
      options.class_weight);
  return run_fit(*train, validation_adapter(options, 32).get(), options);
}

History Model::run_fit(detail::DataAdapter& train, detail::DataAdapter* validation,
                       const FitOptions& options) {
  if (options.epochs < 0) throw Error(cat("fit: epochs must be >= 0, got ", options.epochs));
  if (options.initial_epoch < 0)
    throw Error(cat("fit: initial_epoch must be >= 0, got ", options.initial_epoch));
  if (options.validation_freq < 1)
    throw Error(cat("fit: validation_freq must be >= 1, got ", options.validation_freq));
  if (distributed()) {
    // Every worker reads the same global batches: the chief's shuffled order.
    train.agree_orders([strategy = *strategy_](const Tensor& order) {
      return strategy.communicator().broadcast({order}, 0)[0];
    });
  }
  detail::EpochIterator epochs(train, options.steps_per_epoch);
  epochs.reset();
  callbacks::CallbackList callbacks(
      options.callbacks, /*add_history=*/true, options.verbose != 0, this,
      {.epochs = options.epochs, .steps = epochs.steps(), .verbose = options.verbose});
  std::optional<detail::EpochIterator> validation_epochs;
  if (validation) validation_epochs.emplace(*validation, options.validation_steps);

  stop_training = false;
  detail::StepProfile profile("fit");
  Logs train_logs;
  resume_at_epoch.reset();
  callbacks.each([&](callbacks::Callback& c) { c.on_train_begin(train_logs); });
  const int initial_epoch = resume_at_epoch.value_or(options.initial_epoch);
  resume_at_epoch.reset();
  Logs epoch_logs;
  for (int epoch = initial_epoch; epoch < options.epochs; ++epoch) {
    reset_metrics();
    Logs begin_logs;
    callbacks.each([&](callbacks::Callback& c) { c.on_epoch_begin(epoch, begin_logs); });
    // After on_epoch_begin: a callback that froze or unfroze layers gets new step functions.
    detail::StepFunctions& functions = step_functions();
    const std::shared_ptr<detail::StepFunctions> held = step_functions_;  // see run_execution
    std::size_t batches_seen = 0;
    epochs.run_epoch(steps_per_execution_, [&](std::int64_t begin, std::int64_t end,
                                               std::vector<Batch>& batches) {
      batches_seen += batches.size();
      profile.step_begins();
      Logs batch_begin;
      callbacks.each([&](callbacks::Callback& c) { c.on_train_batch_begin(begin, batch_begin); });
      run_train_execution(functions, batches);
      Logs batch_logs(Logs::Source([this] { return Logs(logs_now()).sorted().entries(); }));
      callbacks.each([&](callbacks::Callback& c) { c.on_train_batch_end(end, batch_logs); });
      if (distributed()) stop_training = any_replica_stops(stop_training);
      return !stop_training;
    });
    // Keras fails here too ("Unexpected result of train_function (Empty logs)"): logging the
    // zero loss of no batches, epoch after epoch, would hide the empty input.
    if (batches_seen == 0 && !stop_training) {
      throw Error(cat("fit: the training data gave no batches in epoch ", epoch + 1,
                      " (an empty Dataset or Sequence, or one filtered or taken to nothing)"));
    }
    epoch_logs = Logs(logs_now()).sorted();
    profile.epoch_ends(epoch);
    if (validation_epochs && (epoch + 1 - initial_epoch) % options.validation_freq == 0) {
      const Logs val = run_evaluate(*validation, options.validation_steps, callbacks).sorted();
      for (const auto& [key, value] : val) epoch_logs.set("val_" + key, value);
    }
    callbacks.each([&](callbacks::Callback& c) { c.on_epoch_end(epoch, epoch_logs); });
    if (distributed()) stop_training = any_replica_stops(stop_training);
    if (stop_training) break;
  }
  callbacks.each([&](callbacks::Callback& c) { c.on_train_end(epoch_logs); });
  return *callbacks.history();
}

// --- evaluate
// -------------------------------------------------------------------------------------------

Logs Model::run_evaluate(detail::DataAdapter& data, std::optional<std::int64_t> steps,
                         callbacks::CallbackList& callbacks) {
  detail::EpochIterator iterator(data, steps);
  iterator.reset();
  reset_metrics();
  detail::StepProfile profile("evaluate");
  Logs begin;
  callbacks.each([&](callbacks::Callback& c) { c.on_test_begin(begin); });
  detail::StepFunctions& functions = step_functions();
  const std::shared_ptr<detail::StepFunctions> held = step_functions_;  // see run_execution
  std::size_t batches_seen = 0;
  iterator.run_epoch(
      steps_per_execution_, [&](std::int64_t begin, std::int64_t end, std::vector<Batch>& batches) {
        batches_seen += batches.size();
        profile.step_begins();
        Logs batch_begin;
        callbacks.each([&](callbacks::Callback& c) { c.on_test_batch_begin(begin, batch_begin); });
        run_test_execution(functions, batches);
        Logs batch_logs(Logs::Source([this] { return Logs(logs_now()).sorted().entries(); }));
        callbacks.each([&](callbacks::Callback& c) { c.on_test_batch_end(end, batch_logs); });
        return true;
      });
  if (batches_seen == 0) {
    throw Error(
        "evaluate: the data to evaluate (or to validate on) gave no batches (an empty Dataset "
        "or Sequence)");
  }
  Logs logs(logs_now());
  profile.epoch_ends(0);
  callbacks.each([&](callbacks::Callback& c) { c.on_test_end(logs); });
  return logs;
}

Logs Model::evaluate_adapter(detail::DataAdapter& data, const EvaluateOptions& options) {
  callbacks::CallbackList callbacks(options.callbacks, false, options.verbose != 0, this,
                                    {.epochs = 1,
                                     .steps = options.steps ? options.steps : data.num_batches(),
                                     .verbose = options.verbose});
  return run_evaluate(data, options.steps, callbacks);
}

Logs Model::evaluate(const Tensors& x, const Tensors& y, EvaluateOptions options) {
  require_compiled("evaluate");
  auto data = arrays_adapter(x, y, options.sample_weight, options.batch_size.value_or(32), false,
                             "evaluate");
  return evaluate_adapter(*data, options);
}

Logs Model::evaluate(const Dataset& data, EvaluateOptions options) {
  require_compiled("evaluate");
  auto adapter =
      detail::dataset_adapter(data, input_count(), output_count_for_data(), data_device());
  return evaluate_adapter(*adapter, options);
}

Logs Model::evaluate(Sequence& data, EvaluateOptions options) {
  require_compiled("evaluate");
  auto adapter =
      detail::sequence_adapter(data, input_count(), output_count_for_data(), false, data_device());
  return evaluate_adapter(*adapter, options);
}

// --- predict
// --------------------------------------------------------------------------------------------

std::vector<Tensor> Model::run_predict(detail::DataAdapter& data, const PredictOptions& options) {
  detail::EpochIterator iterator(data, options.steps);
  callbacks::CallbackList callbacks(
      options.callbacks, false, options.verbose != 0, this,
      {.epochs = 1, .steps = iterator.steps(), .verbose = options.verbose});
  const autodiff::PauseAll untaped;
  Logs begin;
  callbacks.each([&](callbacks::Callback& c) { c.on_predict_begin(begin); });
  std::vector<std::vector<Tensor>> pieces;
  detail::StepProfile profile("predict");
  detail::StepFunctions& functions = step_functions();
  const std::shared_ptr<detail::StepFunctions> held = step_functions_;  // see run_execution
  iterator.run_epoch(steps_per_execution_, [&](std::int64_t begin, std::int64_t end,
                                               std::vector<Batch>& batches) {
    profile.step_begins();
    Logs batch_begin;
    callbacks.each([&](callbacks::Callback& c) { c.on_predict_batch_begin(begin, batch_begin); });
    const auto outs = run_predict_execution(functions, batches);
    for (const std::vector<Tensor>& out : outs) {
      if (pieces.empty()) pieces.resize(out.size());
      for (std::size_t i = 0; i < out.size() && i < pieces.size(); ++i) pieces[i].push_back(out[i]);
    }
    Logs batch_logs;
    callbacks.each([&](callbacks::Callback& c) { c.on_predict_batch_end(end, batch_logs); });
    return true;
  });
  // Keras: "Unexpected result of predict_function (Empty batch_outputs)".
  if (pieces.empty())
    throw Error("predict: the data gave no batches (an empty Dataset or Sequence)");
  profile.epoch_ends(0);
  Logs end;
  callbacks.each([&](callbacks::Callback& c) { c.on_predict_end(end); });
  std::vector<Tensor> joined;
  for (auto& parts : pieces) joined.push_back(parts.size() == 1 ? parts[0] : concat(parts, 0));
  return joined;
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& x, PredictOptions options) {
  if (x.empty()) throw Error("predict: no inputs given");
  const std::int64_t batch_size = options.batch_size.value_or(32);
  if (batch_size <= 0) throw Error(cat("predict: batch_size must be positive, got ", batch_size));
  auto data = arrays_adapter(Tensors(x), Tensors(), Tensor(), batch_size, false, "predict");
  return run_predict(*data, options);
}

Tensor Model::predict(const Tensor& x, PredictOptions options) {
  const std::vector<Tensor> outputs = predict(std::vector<Tensor>{x}, std::move(options));
  if (outputs.size() != 1) {
    throw Error(cat("predict: model '", name(), "' has ", outputs.size(),
                    " outputs; pass a list of inputs"));
  }
  return outputs[0];
}

std::vector<Tensor> Model::predict(const Dataset& data, PredictOptions options) {
  auto adapter =
      detail::dataset_adapter(data, input_count(), output_count_for_data(), data_device());
  return run_predict(*adapter, options);
}

std::vector<Tensor> Model::predict(Sequence& data, PredictOptions options) {
  auto adapter =
      detail::sequence_adapter(data, input_count(), output_count_for_data(), false, data_device());
  return run_predict(*adapter, options);
}

// --- single batches
// -------------------------------------------------------------------------------------

Logs Model::train_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight,
                           const std::map<std::int64_t, double>& class_weight) {
  require_compiled("train_on_batch");
  if (!class_weight.empty() && sample_weight.defined()) {
    throw Error("train_on_batch: give class_weight or sample_weight, not both");
  }
  auto [inputs, targets] = ordered_arrays(x, y, sample_weight, "train_on_batch");
  auto data = detail::with_class_weight(
      detail::array_adapter(inputs, targets, sample_weight,
                            std::max<std::int64_t>(1, inputs[0].shape(0)), false, data_device()),
      class_weight);
  data->begin_pass();
  std::optional<Batch> batch = data->next();
  if (!batch) throw Error("train_on_batch: the batch is empty");
  reset_metrics();
  run_train_execution(step_functions(), {*batch});
  return Logs(logs_now());
}

Logs Model::test_on_batch(const Tensors& x, const Tensors& y, const Tensor& sample_weight) {
  require_compiled("test_on_batch");
  auto [inputs, targets] = ordered_arrays(x, y, sample_weight, "test_on_batch");
  auto data =
      detail::array_adapter(inputs, targets, sample_weight,
                            std::max<std::int64_t>(1, inputs[0].shape(0)), false, data_device());
  data->begin_pass();
  std::optional<Batch> batch = data->next();
  if (!batch) throw Error("test_on_batch: the batch is empty");
  reset_metrics();
  run_test_execution(step_functions(), {*batch});
  return Logs(logs_now());
}

std::vector<Tensor> Model::predict_on_batch(const Tensors& x) {
  const std::vector<Tensor> inputs =
      ordered_arrays(x, Tensors(), Tensor(), "predict_on_batch").first;
  Batch batch;
  for (const Tensor& t : inputs) batch.x.push_back(t.to(data_device()));
  return run_predict_execution(step_functions(), {batch}).front();
}

}  // namespace ember::keras
