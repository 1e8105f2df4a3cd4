#include "core/config.h"

#include <atomic>
#include <cstdlib>
#include <string>

namespace ember::config {
namespace {

std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> flag = [] {
    const char* env = std::getenv("EMBER_TF32");
    return !(env != nullptr && std::string(env) == "0");
  }();
  return flag;
}

}  // namespace

bool tf32_enabled() { return tf32_flag().load(); }
void set_tf32_enabled(bool enabled) { tf32_flag().store(enabled); }

}  // namespace ember::config
