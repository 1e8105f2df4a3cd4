#include "layers/callbacks.h"

#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "layers/model.h"
#include "layers/progbar.h"

namespace ember::callbacks {

keras::Model& Callback::model() const {
  if (!model_) throw Error("Callback::model(): the callback is not attached to a model (only inside fit/evaluate/predict)");
  return *model_;
}

// --- CallbackList -----------------------------------------------------------------------------------------

CallbackList::CallbackList(const std::vector<CallbackRef>& callbacks, bool add_history, bool add_progbar,
                           keras::Model* model, const Params& params) {
  bool has_progbar = false;
  for (const CallbackRef& c : callbacks) {
    if (!c.get()) throw Error("callbacks: a callback is empty");
    callbacks_.push_back(c.get());
    if (auto h = std::dynamic_pointer_cast<History>(c.get())) history_ = h;
    if (std::dynamic_pointer_cast<ProgbarLogger>(c.get())) has_progbar = true;
  }
  if (!history_ && add_history) {
    history_ = std::make_shared<History>();
    callbacks_.push_back(history_);
  }
  if (!has_progbar && add_progbar) callbacks_.push_back(std::make_shared<ProgbarLogger>());
  for (auto& c : callbacks_) {
    c->set_model(model);
    c->set_params(params);
  }
}

// --- History --------------------------------------------------------------------------------------------

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

// --- ProgbarLogger ----------------------------------------------------------------------------------------

struct ProgbarLogger::State {
  std::unique_ptr<keras::Progbar> bar;
  bool in_fit = false;
  std::int64_t seen = 0;
};

ProgbarLogger::ProgbarLogger() : state_(std::make_unique<State>()) {}
ProgbarLogger::~ProgbarLogger() = default;
ProgbarLogger::ProgbarLogger(const ProgbarLogger& other) : Callback(other), state_(std::make_unique<State>()) {}

void ProgbarLogger::on_train_begin(Logs&) { state_->in_fit = true; }

void ProgbarLogger::on_epoch_begin(int epoch, Logs&) {
  if (params().verbose != 0 && params().epochs > 1) std::cout << "Epoch " << epoch + 1 << "/" << params().epochs << "\n";
  state_->bar = std::make_unique<keras::Progbar>(params().steps, params().verbose);
  state_->seen = 0;
}

void ProgbarLogger::on_train_batch_end(std::int64_t batch, Logs& logs) {
  state_->seen = batch + 1;
  // Reading the logs waits for the device: only for steps that will be drawn.
  if (state_->bar && state_->bar->due(state_->seen) && !(params().steps && state_->seen >= *params().steps)) {
    state_->bar->update(state_->seen, logs);
  }
}

void ProgbarLogger::on_epoch_end(int, Logs& logs) {
  if (state_->bar) state_->bar->update(params().steps.value_or(state_->seen), logs, /*finalize=*/true);
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

void ProgbarLogger::on_predict_batch_end(std::int64_t batch, Logs& logs) { on_train_batch_end(batch, logs); }

void ProgbarLogger::on_predict_end(Logs& logs) {
  if (state_->bar) state_->bar->update(params().steps.value_or(state_->seen), logs, /*finalize=*/true);
  state_->bar.reset();
}

// --- MonitorCallback --------------------------------------------------------------------------------------

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, double min_delta, const char* callback)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), min_delta_(std::fabs(min_delta)) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    throw Error(cat(callback, ": mode must be \"auto\", \"min\" or \"max\", got \"", mode_, "\""));
  }
}

void MonitorCallback::choose_direction() {
  if (mode_ == "min") sign_ = -1;
  else if (mode_ == "max") sign_ = 1;
  else {
    const std::string bare = monitor_.starts_with("val_") ? monitor_.substr(4) : monitor_;
    if (bare == "loss" || bare.ends_with("_loss")) sign_ = -1;
    else if (auto direction = model().metric_direction(monitor_)) sign_ = *direction == metrics::Direction::up ? 1 : -1;
    else {
      throw Error(cat("callback monitoring '", monitor_, "' cannot tell whether it should be maximized or minimized; ",
                      "give mode = \"max\" or \"min\""));
    }
  }
}

bool MonitorCallback::is_improvement(double value, std::optional<double> reference) {
  if (sign_ == 0) choose_direction();
  if (!reference) return true;
  // Keras: monitor_op(value - min_delta, reference) with min_delta negated for "min".
  return sign_ > 0 ? (value - min_delta_ > *reference) : (value + min_delta_ < *reference);
}

// --- EarlyStopping --------------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : MonitorCallback(options.monitor, options.mode, options.min_delta, "EarlyStopping"), options_(std::move(options)) {
  if (options_.patience < 0) throw Error(cat("EarlyStopping: patience must be >= 0, got ", options_.patience));
}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = 0;
  stopped_epoch_ = 0;
  best_.reset();
  best_weights_.reset();
  best_epoch_ = 0;
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  const std::optional<double> current = logs.get(monitor_);
  if (!current) {
    std::string known;
    for (const auto& key : logs.keys()) known += (known.empty() ? "" : ",") + key;
    warn(cat("Early stopping conditioned on metric `", monitor_, "` which is not available. Available metrics are: ",
             known));
    return;
  }
  if (epoch < options_.start_from_epoch) return;
  if (options_.restore_best_weights && !best_weights_) {
    best_weights_ = model().get_weights();
    best_epoch_ = epoch;
  }
  ++wait_;
  if (is_improvement(*current, best_)) {
    best_ = *current;
    best_epoch_ = epoch;
    if (options_.restore_best_weights) best_weights_ = model().get_weights();
    if (!options_.baseline || is_improvement(*current, options_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= options_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model().stop_training = true;
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && options_.verbose > 0) std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (options_.restore_best_weights && best_weights_) {
    if (options_.verbose > 0) {
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
    }
    model().set_weights(*best_weights_);
  }
}

// --- TerminateOnNaN -------------------------------------------------------------------------------------

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

// --- ModelCheckpoint ------------------------------------------------------------------------------------

SaveFrequency::SaveFrequency(const char* every) {
  if (std::string(every) != "epoch") {
    throw Error(cat("ModelCheckpoint: save_freq must be \"epoch\" or a number of batches, got \"", every, "\""));
  }
}

SaveFrequency::SaveFrequency(std::int64_t batches) : batches_(batches) {
  if (batches <= 0) throw Error(cat("ModelCheckpoint: save_freq must be a positive number of batches, got ", batches));
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : MonitorCallback(options.monitor, options.mode, 0.0, "ModelCheckpoint"), filepath_(std::move(filepath)),
      options_(std::move(options)) {
  if (filepath_.empty()) throw Error("ModelCheckpoint: filepath is empty");
  best_ = options_.initial_value_threshold;
}

void ModelCheckpoint::on_epoch_begin(int epoch, Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (options_.save_freq.per_epoch()) return;
  if (++batches_since_save_ >= options_.save_freq.batches()) {
    batches_since_save_ = 0;
    save(current_epoch_, batch, logs);
  }
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (options_.save_freq.per_epoch()) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::save(int epoch, std::optional<std::int64_t> batch, const Logs& logs) {
  std::map<std::string, double> values;
  for (const auto& [key, value] : logs) values[key] = value;
  std::map<std::string, std::int64_t> integers{{"epoch", epoch + 1}};
  if (batch) integers["batch"] = *batch + 1;
  const std::string path = format_path(filepath_, values, integers);
  if (options_.save_best_only) {
    const std::optional<double> current = logs.get(monitor_);
    if (!current) {
      warn(cat("ModelCheckpoint: can save the best model only with ", monitor_, " available; saving anyway"));
    } else {
      const std::string best_text = best_ ? cat(*best_) : "None";
      if (!is_improvement(*current, best_)) {
        if (options_.verbose > 0) {
          std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " did not improve from " << best_text << "\n";
        }
        return;
      }
      if (options_.verbose > 0) {
        std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " improved from " << best_text << " to " << *current
                  << ", saving model to " << path << "\n";
      }
      best_ = *current;
    }
  } else if (options_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) throw IoError(cat("ModelCheckpoint: cannot create the folder ", parent.string(), ": ", ec.message()));
  }
  if (std::filesystem::is_directory(path)) {
    throw IoError(cat("ModelCheckpoint: the file path is an existing folder: ", path));
  }
  model().save_weights(path, /*include_optimizer=*/!options_.save_weights_only);
  last_saved_ = path;
}

namespace {

/// Formats `value` by a Python format spec ("02d", ".2f", ">8.3e", "" ...).
std::string format_value(double value, bool integer, const std::string& spec, const std::string& field) {
  std::size_t i = 0;
  char fill = ' ', align = 0;
  const auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    align = spec[0];
    i = 1;
  }
  std::string sign;
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  bool zero = false;
  if (i < spec.size() && spec[i] == '0') {
    zero = true;
    ++i;
  }
  std::size_t width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) width = width * 10 + (spec[i++] - '0');
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    precision = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i]))) precision = precision * 10 + (spec[i++] - '0');
  }
  char type = i < spec.size() ? spec[i++] : 0;
  if (i != spec.size() || (type && std::string("dfFeEgG%").find(type) == std::string::npos)) {
    throw Error(cat("ModelCheckpoint: cannot format {", field, ":", spec, "}"));
  }
  std::string text;
  char buffer[128];
  if (type == 'd') {
    if (!integer && value != std::floor(value)) {
      throw Error(cat("ModelCheckpoint: {", field, ":", spec, "} needs an integer, got ", value));
    }
    std::snprintf(buffer, sizeof buffer, (sign == "+" ? "%+lld" : sign == " " ? "% lld" : "%lld"),
                  static_cast<long long>(value));
    text = buffer;
  } else if (type == 0 && integer) {
    text = std::to_string(static_cast<long long>(value));
  } else if (type == 0 && precision < 0) {
    text = cat(value);  // Python's repr-like shortest form
  } else {
    const char conv = type == 0 ? 'g' : (type == '%' ? 'f' : type);
    const double v = type == '%' ? value * 100 : value;
    const std::string format = "%" + sign + "." + std::to_string(precision < 0 ? 6 : precision) + conv;
    std::snprintf(buffer, sizeof buffer, format.c_str(), v);
    text = buffer;
    if (type == '%') text += "%";
  }
  if (text.size() < width) {
    const std::size_t pad = width - text.size();
    if (zero && !align) {
      const std::size_t digits_start = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
      text.insert(digits_start, pad, '0');
    } else if (align == '<') {
      text.append(pad, fill);
    } else if (align == '^') {
      text = std::string(pad / 2, fill) + text + std::string(pad - pad / 2, fill);
    } else {
      text.insert(0, pad, fill);  // numbers align right by default
    }
  }
  return text;
}

}  // namespace

std::string format_path(const std::string& filepath, const std::map<std::string, double>& values,
                        const std::map<std::string, std::int64_t>& integers) {
  std::string out;
  for (std::size_t i = 0; i < filepath.size(); ++i) {
    const char c = filepath[i];
    if (c == '{' && i + 1 < filepath.size() && filepath[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < filepath.size() && filepath[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = filepath.find('}', i);
    if (close == std::string::npos) throw Error(cat("ModelCheckpoint: unmatched '{' in \"", filepath, "\""));
    const std::string field = filepath.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string key = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    if (auto it = integers.find(key); it != integers.end()) {
      out += format_value(static_cast<double>(it->second), true, spec, key);
    } else if (auto jt = values.find(key); jt != values.end()) {
      out += format_value(jt->second, false, spec, key);
    } else {
      std::string known = "epoch";
      for (const auto& [k, v] : values) known += ", " + k;
      throw Error(cat("ModelCheckpoint: failed to format the file path \"", filepath, "\": no value '", key,
                      "'; available: ", known));
    }
    i = close;
  }
  return out;
}

// --- LearningRateScheduler ------------------------------------------------------------------------------

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw Error("LearningRateScheduler: the schedule is empty");
}

LearningRateScheduler::LearningRateScheduler(std::function<double(int)> schedule, int verbose)
    : LearningRateScheduler(
          schedule ? Schedule([schedule](int epoch, double) { return schedule(epoch); }) : Schedule(), verbose) {}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  optim::Optimizer& optimizer = model().optimizer();
  const double rate = schedule_(epoch, optimizer.learning_rate());
  if (!std::isfinite(rate) || rate < 0) {
    throw Error(cat("LearningRateScheduler: the schedule gave ", rate, " for epoch ", epoch,
                    "; a learning rate must be finite and >= 0"));
  }
  optimizer.set_learning_rate(rate);
  if (verbose_ > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << rate << ".\n";
  }
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) { logs.set("learning_rate", model().optimizer().learning_rate()); }

// --- ReduceLROnPlateau ----------------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : MonitorCallback(options.monitor, options.mode, options.min_delta, "ReduceLROnPlateau"), options_(std::move(options)) {
  if (!(options_.factor < 1.0)) {
    throw Error(cat("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=", options_.factor));
  }
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  best_.reset();
  cooldown_counter_ = 0;
  wait_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  optim::Optimizer& optimizer = model().optimizer();
  logs.set("learning_rate", optimizer.learning_rate());
  const std::optional<double> current = logs.get(monitor_);
  if (!current) {
    std::string known;
    for (const auto& key : logs.keys()) known += (known.empty() ? "" : ",") + key;
    warn(cat("Learning rate reduction is conditioned on metric `", monitor_,
             "` which is not available. Available metrics are: ", known, "."));
    return;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  if (is_improvement(*current, best_)) {
    best_ = *current;
    wait_ = 0;
  } else if (cooldown_counter_ <= 0) {
    if (++wait_ >= options_.patience) {
      const double old_rate = optimizer.learning_rate();
      if (old_rate > static_cast<float>(options_.min_lr)) {
        const double new_rate = std::max(old_rate * options_.factor, options_.min_lr);
        optimizer.set_learning_rate(new_rate);
        if (options_.verbose > 0) {
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << new_rate << ".\n";
        }
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// --- CSVLogger ------------------------------------------------------------------------------------------

CSVLogger::CSVLogger(std::string filename, char separator, bool append)
    : filename_(std::move(filename)), separator_(separator), append_(append) {}

void CSVLogger::on_train_begin(Logs&) {
  write_header_ = true;
  if (append_ && std::filesystem::exists(filename_)) {
    std::ifstream in(filename_);
    std::string first;
    write_header_ = !std::getline(in, first) || first.empty();
  }
  file_ = std::make_shared<std::ofstream>(filename_, append_ ? std::ios::app : std::ios::trunc);
  if (!*file_) throw IoError(cat("CSVLogger: cannot open ", filename_, " for writing"));
  keys_.clear();
}

void CSVLogger::on_epoch_end(int epoch, Logs& logs) {
  if (!file_) return;
  if (keys_.empty()) {
    keys_ = logs.sorted().keys();
    const bool has_validation = std::any_of(keys_.begin(), keys_.end(), [](const auto& k) { return k.starts_with("val_"); });
    if (!has_validation && !keys_.empty()) {
      const std::size_t n = keys_.size();
      for (std::size_t i = 0; i < n; ++i) keys_.push_back("val_" + keys_[i]);
    }
    if (write_header_) {
      *file_ << "epoch";
      for (const auto& k : keys_) *file_ << separator_ << k;
      *file_ << "\n";
    }
  }
  *file_ << epoch;
  for (const auto& k : keys_) {
    *file_ << separator_;
    if (auto value = logs.get(k)) *file_ << cat(*value);
    else *file_ << "NA";
  }
  *file_ << "\n" << std::flush;
  if (!*file_) throw IoError(cat("CSVLogger: writing ", filename_, " failed"));
}

void CSVLogger::on_train_end(Logs&) { file_.reset(); }

// --- LambdaCallback -------------------------------------------------------------------------------------

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
