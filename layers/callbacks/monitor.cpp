// The callbacks that watch a logged value: EarlyStopping and ReduceLROnPlateau (and the shared
// MonitorCallback), LearningRateScheduler and CSVLogger, with Keras 3's rules.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/error.h"
#include "layers/callbacks/callbacks.h"
#include "layers/models/model.h"

namespace ember::callbacks {

// --- MonitorCallback
// --------------------------------------------------------------------------------------

MonitorCallback::MonitorCallback(std::string monitor, std::string mode, double min_delta,
                                 const char* callback)
    : monitor_(std::move(monitor)), mode_(std::move(mode)), min_delta_(std::fabs(min_delta)) {
  if (mode_ != "auto" && mode_ != "min" && mode_ != "max") {
    throw Error(cat(callback, ": mode must be \"auto\", \"min\" or \"max\", got \"", mode_, "\""));
  }
}

void MonitorCallback::choose_direction() {
  if (mode_ == "min")
    sign_ = -1;
  else if (mode_ == "max")
    sign_ = 1;
  else {
    const std::string bare = monitor_.starts_with("val_") ? monitor_.substr(4) : monitor_;
    if (bare == "loss" || bare.ends_with("_loss"))
      sign_ = -1;
    else if (auto direction = model().metric_direction(monitor_))
      sign_ = *direction == metrics::Direction::up ? 1 : -1;
    else {
      throw Error(cat("callback monitoring '", monitor_,
                      "' cannot tell whether it should be maximized or minimized; ",
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

// --- EarlyStopping
// --------------------------------------------------------------------------------------

EarlyStopping::EarlyStopping(EarlyStoppingOptions options)
    : MonitorCallback(options.monitor, options.mode, options.min_delta, "EarlyStopping"),
      options_(std::move(options)) {
  if (options_.patience < 0)
    throw Error(cat("EarlyStopping: patience must be >= 0, got ", options_.patience));
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
    warn(cat("Early stopping conditioned on metric `", monitor_,
             "` which is not available. Available metrics are: ", known));
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
  if (stopped_epoch_ > 0 && options_.verbose > 0)
    std::cout << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
  if (options_.restore_best_weights && best_weights_) {
    if (options_.verbose > 0) {
      std::cout << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1
                << ".\n";
    }
    model().set_weights(*best_weights_);
  }
}

// --- LearningRateScheduler
// ------------------------------------------------------------------------------

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose)
    : schedule_(std::move(schedule)), verbose_(verbose) {
  if (!schedule_) throw Error("LearningRateScheduler: the schedule is empty");
}

LearningRateScheduler::LearningRateScheduler(std::function<double(int)> schedule, int verbose)
    : LearningRateScheduler(
          schedule ? Schedule([schedule](int epoch, double) { return schedule(epoch); })
                   : Schedule(),
          verbose) {}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  optim::Optimizer& optimizer = model().optimizer();
  const double rate = schedule_(epoch, optimizer.learning_rate());
  if (!std::isfinite(rate) || rate < 0) {
    throw Error(cat("LearningRateScheduler: the schedule gave ", rate, " for epoch ", epoch,
                    "; a learning rate must be finite and >= 0"));
  }
  optimizer.set_learning_rate(rate);
  if (verbose_ > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to "
              << rate << ".\n";
  }
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) {
  logs.set("learning_rate", model().optimizer().learning_rate());
}

// --- ReduceLROnPlateau
// ----------------------------------------------------------------------------------

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions options)
    : MonitorCallback(options.monitor, options.mode, options.min_delta, "ReduceLROnPlateau"),
      options_(std::move(options)) {
  if (!(options_.factor < 1.0)) {
    throw Error(cat("ReduceLROnPlateau does not support a factor >= 1.0. Received factor=",
                    options_.factor));
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
          std::cout << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to "
                    << new_rate << ".\n";
        }
        cooldown_counter_ = options_.cooldown;
        wait_ = 0;
      }
    }
  }
}

// --- CSVLogger
// ------------------------------------------------------------------------------------------

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
    const bool has_validation = std::any_of(keys_.begin(), keys_.end(),
                                            [](const auto& k) { return k.starts_with("val_"); });
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
    if (auto value = logs.get(k))
      *file_ << cat(*value);
    else
      *file_ << "NA";
  }
  *file_ << "\n" << std::flush;
  if (!*file_) throw IoError(cat("CSVLogger: writing ", filename_, " failed"));
}

void CSVLogger::on_train_end(Logs&) { file_.reset(); }

}  // namespace ember::callbacks
