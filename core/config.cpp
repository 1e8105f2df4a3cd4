#include "core/config.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.h"

namespace ember::config {
namespace {

std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> flag = [] {
    const char* env = std::getenv("EMBER_TF32");
    return !(env != nullptr && std::string(env) == "0");
  }();
  return flag;
}

std::atomic<int> inter_op_setting{0};

std::atomic<bool>& determinism_flag() {
  static std::atomic<bool> flag = [] {
    const char* env = std::getenv("EMBER_DETERMINISTIC_OPS");
    return env != nullptr && (std::string(env) == "1" || std::string(env) == "true");
  }();
  return flag;
}

}  // namespace

bool tf32_enabled() { return tf32_flag().load(); }
void set_tf32_enabled(bool enabled) { tf32_flag().store(enabled); }

void enable_op_determinism() { determinism_flag().store(true); }
bool op_determinism_enabled() { return determinism_flag().load(); }
void set_op_determinism(bool enabled) { determinism_flag().store(enabled); }

int get_inter_op_parallelism_threads() { return inter_op_setting.load(); }

void set_inter_op_parallelism_threads(int threads) {
  if (threads < 0)
    throw Error(cat(
        "set_inter_op_parallelism_threads: need 0 (ember chooses) or more threads, got ", threads));
  inter_op_setting.store(threads);
}

}  // namespace ember::config
