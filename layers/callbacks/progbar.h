// Progbar: Keras 3's progress bar (keras.utils.Progbar), drawn the same way:
//
//   Epoch 1/5
//   1875/1875 ━━━━━━━━━━━━━━━━━━━━ 3s 1ms/step - accuracy: 0.8211 - loss: 0.5087
//
// On a terminal the line is redrawn in place (with Keras' colours); into a file or pipe it
// writes a plain line now and then (at most every few seconds) and the final line. verbose 2
// prints only the final line: "1875/1875 - 3s - 1ms/step - accuracy: 0.8211 - loss: 0.5087".
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "layers/callbacks/logs.h"

namespace ember::keras {

class Progbar {
 public:
  /// `target`: the number of steps, absent when unknown. `out` defaults to std::cout;
  /// `dynamic` (redraw in place) defaults to whether standard output is a terminal.
  explicit Progbar(std::optional<std::int64_t> target, int verbose = 1, std::ostream* out = nullptr,
                   std::optional<bool> dynamic = std::nullopt, std::string unit_name = "step");
  /// Shows step `current` with these values (drawn at most every 0.05 s on a terminal, and
  /// always when final).
  void update(std::int64_t current, const Logs& values, bool finalize = false);
  /// Whether update() would draw now: callers use it to avoid reading values from the device
  /// for a step that is not shown.
  bool due(std::int64_t current) const;

 private:
  using Clock = std::chrono::steady_clock;
  double step_duration(std::int64_t current, Clock::time_point now);
  std::string format_duration(double seconds_per_step) const;

  std::optional<std::int64_t> target_;
  int verbose_;
  std::ostream* out_;
  bool dynamic_;
  std::string unit_name_;
  Clock::time_point start_;
  std::optional<Clock::time_point> after_first_step_, last_update_;
  std::size_t previous_width_ = 0;
};

}  // namespace ember::keras
