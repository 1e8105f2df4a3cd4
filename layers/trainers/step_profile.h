// EMBER_PROFILE=1: what each step of fit, evaluate and predict cost (core/counters.h), printed to
// stderr at the end of every epoch (internal). A step runs from one step's start to the next's, so
// it includes fetching the next batch and the callbacks (the progress bar's reads).
#pragma once

#include <cstdint>
#include <string>

#include "core/counters.h"

namespace ember::keras::detail {

class StepProfile {
 public:
  /// `what`: "fit", "evaluate" or "predict". Does nothing unless EMBER_PROFILE=1.
  explicit StepProfile(std::string what);

  /// At the start of a step: closes the one before and starts counting afresh (this resets the
  /// process's counters, debug::reset_counters).
  void step_begins();
  /// After the epoch's last step: closes it and prints the epoch's figures per step.
  void epoch_ends(int epoch);

 private:
  void close_step();

  bool active_;
  std::string what_;
  bool in_step_ = false;
  std::int64_t steps_ = 0;
  debug::Counters sum_;  // peak_bytes: the largest of the steps' peaks
};

}  // namespace ember::keras::detail
