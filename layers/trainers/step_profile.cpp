#include "layers/trainers/step_profile.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

namespace ember::keras::detail {

StepProfile::StepProfile(std::string what) : what_(std::move(what)) {
  const char* env = std::getenv("EMBER_PROFILE");
  active_ = env != nullptr && std::strcmp(env, "1") == 0;
}

void StepProfile::close_step() {
  if (!in_step_) return;
  const debug::Counters c = debug::counters();
  sum_.kernels += c.kernels;
  sum_.host_reads += c.host_reads;
  sum_.host_read_bytes += c.host_read_bytes;
  sum_.host_writes += c.host_writes;
  sum_.host_write_bytes += c.host_write_bytes;
  sum_.allocations += c.allocations;
  sum_.allocated_bytes += c.allocated_bytes;
  sum_.peak_bytes = std::max(sum_.peak_bytes, c.peak_bytes);
  ++steps_;
  in_step_ = false;
}

void StepProfile::step_begins() {
  if (!active_) return;
  close_step();
  debug::reset_counters();
  in_step_ = true;
}

void StepProfile::epoch_ends(int epoch) {
  if (!active_) return;
  close_step();
  if (steps_ > 0) {
    const double steps = static_cast<double>(steps_);
    const auto count = [&](std::int64_t total) {
      std::ostringstream text;
      text.precision(1);
      text << std::fixed << static_cast<double>(total) / steps;
      return text.str();
    };
    const auto bytes = [&](std::int64_t total) {
      return debug::byte_size_text(static_cast<double>(total) / steps);
    };
    std::ostringstream line;
    line << "ember profile: " << what_ << " epoch " << epoch + 1 << ": " << steps_
         << " steps; per step " << count(sum_.kernels) << " kernels, " << count(sum_.host_reads)
         << " host reads (" << bytes(sum_.host_read_bytes) << "), " << count(sum_.host_writes)
         << " host writes (" << bytes(sum_.host_write_bytes) << "), " << count(sum_.allocations)
         << " allocations (" << bytes(sum_.allocated_bytes) << "); peak "
         << debug::byte_size_text(static_cast<double>(sum_.peak_bytes)) << "\n";
    std::cerr << line.str();
  }
  steps_ = 0;
  sum_ = {};
}

}  // namespace ember::keras::detail
