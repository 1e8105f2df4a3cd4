// The Callback base, the list fit runs them from, History, the progress-bar logger, TerminateOnNaN
// and LambdaCallback. (Monitoring callbacks: monitor.cpp; ModelCheckpoint:
// checkpoint.cpp.)
#include "layers/callbacks/callbacks.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "layers/callbacks/progbar.h"
#include "layers/models/model.h"

namespace ember::callbacks {

keras::Model& Callback::model() const {
  if (!model_)
    throw Error(
        "Callback::model(): the callback is not attached to a model (only inside "
        "fit/evaluate/predict)");
  return *model_;
}

// --- CallbackList
// -----------------------------------------------------------------------------------------

CallbackList::CallbackList(const std::vector<CallbackRef>& callbacks, bool add_history,
                           bool add_progbar, keras::Model* model, const Params& params) {
  bool has_progbar = false;
  const bool chief = !model || model->is_chief_worker();
  for (const CallbackRef& c : callbacks) {
    if (!c.get()) throw Error("callbacks: a callback is empty");
    if (c.get()->chief_only() && !chief) continue;
    callbacks_.push_back(c.get());
    if (auto h = std::dynamic_pointer_cast<History>(c.get())) history_ = h;
    if (std::dynamic_pointer_cast<ProgbarLogger>(c.get())) has_progbar = true;
  }
  if (!history_ && add_history) {
    history_ = std::make_shared<History>();
    callbacks_.push_back(history_);
  }
  // The progress bar fit adds is chief_only too.
  if (!has_progbar && add_progbar && chief) callbacks_.push_back(std::make_shared<ProgbarLogger>());
  for (auto& c : callbacks_) {
    c->set_model(model);
    c->set_params(params);
  }
}

bool Callback::on_chief() const { return !model_ || model_->is_chief_worker(); }

// --- History
// --------------------------------------------------------------------------------------------

const std::vector<double>& History::operator[](const std::string& key) const {
  auto it = history.find(key);
  if (it != history.end()) return it->second;
  std::string known;
  for (const auto& [k, v] : history) known += (known.empty() ? "" : ", ") + k;
  throw Error(cat("History has no '", key, "'; it holds: ", known.empty() ? "nothing" : known));
}

void History::on_train_begin(Logs&) { epoch.clear(); }  // history itself carries on, as in Keras

void History::on_epoch_end(int e, Logs& logs) {
  epoch.push_back(e);
  for (const auto& [key, value] : logs) history[key].push_back(value);
}

// --- ProgbarLogger
// ----------------------------------------------------------------------------------------

struct ProgbarLogger::State {
  std::unique_ptr<keras::Progbar> bar;
  bool in_fit = false;
  std::int64_t seen = 0;
};

ProgbarLogger::ProgbarLogger() : state_(std::make_unique<State>()) {}
ProgbarLogger::~ProgbarLogger() = default;
ProgbarLogger::ProgbarLogger(const ProgbarLogger& other)
    : Callback(other), state_(std::make_unique<State>()) {}

void ProgbarLogger::on_train_begin(Logs&) { state_->in_fit = true; }

void ProgbarLogger::on_epoch_begin(int epoch, Logs&) {
  if (params().verbose != 0 && params().epochs > 1)
    std::cout << "Epoch " << epoch + 1 << "/" << params().epochs << "\n";
  state_->bar = std::make_unique<keras::Progbar>(params().steps, params().verbose);
  state_->seen = 0;
}

void ProgbarLogger::on_train_batch_end(std::int64_t batch, Logs& logs) {
  state_->seen = batch + 1;
  // Reading the logs waits for the device: only for steps that will be drawn.
  if (state_->bar && state_->bar->due(state_->seen) &&
      !(params().steps && state_->seen >= *params().steps)) {
    state_->bar->update(state_->seen, logs);
  }
}

void ProgbarLogger::on_epoch_end(int, Logs& logs) {
  if (state_->bar)
    state_->bar->update(params().steps.value_or(state_->seen), logs, /*finalize=*/true);
  state_->bar.reset();
}

void ProgbarLogger::on_test_begin(Logs&) {
  if (state_->in_fit) return;  // validation inside fit shows in the epoch's line
  state_->bar = std::make_unique<keras::Progbar>(params().steps, params().verbose);
  state_->seen = 0;
}

void ProgbarLogger::on_test_batch_end(std::int64_t batch, Logs& logs) {
  if (state_->in_fit) return;
  on_train_batch_end(batch, logs);
}

void ProgbarLogger::on_test_end(Logs& logs) {
  if (state_->in_fit || !state_->bar) return;
  state_->bar->update(params().steps.value_or(state_->seen), logs.sorted(), /*finalize=*/true);
  state_->bar.reset();
}

void ProgbarLogger::on_predict_begin(Logs&) {
  state_->bar = std::make_unique<keras::Progbar>(params().steps, params().verbose);
  state_->seen = 0;
}

void ProgbarLogger::on_predict_batch_end(std::int64_t batch, Logs& logs) {
  on_train_batch_end(batch, logs);
}

void ProgbarLogger::on_predict_end(Logs& logs) {
  if (state_->bar)
    state_->bar->update(params().steps.value_or(state_->seen), logs, /*finalize=*/true);
  state_->bar.reset();
}

// --- TerminateOnNaN
// -------------------------------------------------------------------------------------

void TerminateOnNaN::on_batch_end(std::int64_t batch, Logs& logs) {
  const std::optional<double> loss = logs.get("loss");
  if (!loss || std::isfinite(*loss)) return;
  if (raise_error_) {
    throw Error(cat("NaN or Inf loss encountered at batch ", batch, ". Loss value: ", *loss,
                    ". Terminating training immediately."));
  }
  std::cout << "Batch " << batch << ": Invalid loss, terminating training\n";
  model().stop_training = true;
}

// --- LambdaCallback
// -------------------------------------------------------------------------------------

void LambdaCallback::on_epoch_begin(int epoch, Logs& logs) {
  if (options_.on_epoch_begin) options_.on_epoch_begin(epoch, logs);
}
void LambdaCallback::on_epoch_end(int epoch, Logs& logs) {
  if (options_.on_epoch_end) options_.on_epoch_end(epoch, logs);
}
void LambdaCallback::on_train_batch_begin(std::int64_t batch, Logs& logs) {
  if (options_.on_train_batch_begin) options_.on_train_batch_begin(batch, logs);
}
void LambdaCallback::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (options_.on_train_batch_end) options_.on_train_batch_end(batch, logs);
}
void LambdaCallback::on_train_begin(Logs& logs) {
  if (options_.on_train_begin) options_.on_train_begin(logs);
}
void LambdaCallback::on_train_end(Logs& logs) {
  if (options_.on_train_end) options_.on_train_end(logs);
}

}  // namespace ember::callbacks
