#include "layers/callbacks/progbar.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace ember::keras {

namespace {
constexpr double kTerminalInterval = 0.05;  // Keras' default
constexpr double kFileInterval = 10.0;      // a log file gets a line now and then, not 20 a second

int digits(std::int64_t n) {
  return n <= 0 ? 1 : static_cast<int>(std::log10(static_cast<double>(n))) + 1;
}

/// "  7/120": the step right-aligned to the width of the target, as Keras' "%{n}d/%d".
std::string step_count(std::int64_t current, std::int64_t target) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%*lld/%lld", digits(target),
                static_cast<long long>(current), static_cast<long long>(target));
  return buffer;
}

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}
}  // namespace

Progbar::Progbar(std::optional<std::int64_t> target, int verbose, std::ostream* out,
                 std::optional<bool> dynamic, std::string unit_name)
    : target_(target),
      verbose_(verbose),
      out_(out ? out : &std::cout),
      dynamic_(dynamic.value_or(out == nullptr && isatty(STDOUT_FILENO) == 1)),
      unit_name_(std::move(unit_name)),
      start_(Clock::now()) {}

double Progbar::step_duration(std::int64_t current, Clock::time_point now) {
  // Like Keras: the first step (often slow: allocation, warm-up) is left out once there are more.
  if (current <= 0) return 0;
  double seconds;
  if (after_first_step_ && current > 1) {
    seconds = std::chrono::duration<double>(now - *after_first_step_).count() /
              static_cast<double>(current - 1);
  } else {
    seconds = std::chrono::duration<double>(now - start_).count() / static_cast<double>(current);
  }
  if (current == 1) after_first_step_ = now;
  return seconds;
}

std::string Progbar::format_duration(double per_step) const {
  if (per_step >= 1 || per_step == 0) return printf_string(" %.0fs/", per_step) + unit_name_;
  if (per_step >= 1e-3) return printf_string(" %.0fms/", per_step * 1e3) + unit_name_;
  return printf_string(" %.0fus/", per_step * 1e6) + unit_name_;
}

bool Progbar::due(std::int64_t current) const {
  if (verbose_ != 1) return target_ && current >= *target_;
  if (target_ && current >= *target_) return true;
  if (!last_update_) return true;
  const double since = std::chrono::duration<double>(Clock::now() - *last_update_).count();
  return since >= (dynamic_ ? kTerminalInterval : kFileInterval);
}

void Progbar::update(std::int64_t current, const Logs& values, bool finalize) {
  if (target_ && current >= *target_) finalize = true;
  const Clock::time_point now = Clock::now();
  const double per_step = step_duration(current, now);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  if (verbose_ == 1) {
    if (!finalize && last_update_ &&
        std::chrono::duration<double>(now - *last_update_).count() <
            (dynamic_ ? kTerminalInterval : kFileInterval)) {
      return;
    }
    std::string message;
    std::size_t special = 0;  // escape-code characters, which take no width on screen
    if (dynamic_) message += "\r";
    std::string bar;
    if (target_ && *target_ > 0) {
      bar = step_count(current, *target_);
      if (dynamic_) {
        bar = "\x1b[1m" + bar + "\x1b[0m ";
        special += 8;
      } else {
        bar += " ";
      }
      const double progress = static_cast<double>(current) / static_cast<double>(*target_);
      const int width = 20;
      const int done = std::min(width, static_cast<int>(width * progress));
      std::string filled, rest;
      for (int i = 0; i < done; ++i) filled += "━";
      for (int i = done; i < width; ++i) rest += dynamic_ ? "━" : ".";  // without colours, dots
      if (dynamic_) {
        if (done > 0) {
          bar += "\x1b[32m" + filled + "\x1b[0m";
          special += 9;
        }
        bar += "\x1b[37m" + rest + "\x1b[0m";
        special += 9 + 2 * static_cast<std::size_t>(width);  // "━" is three bytes, one column
      } else {
        bar += filled + rest;
      }
    } else {
      bar = printf_string("%7.0f/Unknown", static_cast<double>(current));
    }
    message += bar;
    std::string info;
    if (target_ && *target_ > 0 && !finalize) {
      const double eta = per_step * static_cast<double>(*target_ - current);
      std::string eta_text;
      if (eta > 3600) {
        eta_text = printf_string("%.0f:", std::floor(eta / 3600)) +
                   printf_string("%02.0f:", std::floor(std::fmod(eta, 3600) / 60)) +
                   printf_string("%02.0f", std::floor(std::fmod(eta, 60)));
      } else if (eta > 60) {
        eta_text = printf_string("%.0f:", std::floor(eta / 60)) +
                   printf_string("%02.0f", std::floor(std::fmod(eta, 60)));
      } else {
        eta_text = printf_string("%.0fs", std::floor(eta));
      }
      info = dynamic_ ? " \x1b[1m" + eta_text + "\x1b[0m" : " " + eta_text;
    } else {
      const std::string seconds = printf_string("%.0fs", elapsed);
      info = dynamic_ ? " \x1b[1m" + seconds + "\x1b[0m" : " " + seconds;
    }
    if (dynamic_) special += 8;
    info += format_duration(per_step);
    for (const auto& [key, value] : values) info += " - " + key + ": " + format_log_value(value);
    message += info;
    const std::size_t width = bar.size() + info.size() - special;
    if (dynamic_ && previous_width_ > width) message += std::string(previous_width_ - width, ' ');
    if (finalize || !dynamic_) message += "\n";
    *out_ << message << std::flush;
    previous_width_ = width;
  } else if (verbose_ == 2 && finalize) {
    std::string line;
    if (target_ && *target_ > 0) {
      line = step_count(current, *target_) + " - " + printf_string("%.0fs", elapsed) + " -" +
             format_duration(per_step);
    } else {
      line = std::to_string(current) + " - " + printf_string("%.0fs", elapsed) + " -" +
             format_duration(per_step);
    }
    for (const auto& [key, value] : values) {
      // Keras' verbose 2 tests value > 1e-3 (not its magnitude).
      line += " - " + key + ": " + printf_string(value > 1e-3 ? "%.4f" : "%.4e", value);
    }
    *out_ << line << "\n" << std::flush;
  }
  last_update_ = now;
}

}  // namespace ember::keras
