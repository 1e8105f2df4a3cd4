#include "layers/engine/dtype_policy.h"

#include <mutex>
#include <ostream>

#include "core/error.h"

namespace ember::keras {
namespace {

std::mutex& policy_mutex() {
  static std::mutex mutex;
  return mutex;
}

DTypePolicy& global() {
  static DTypePolicy policy;
  return policy;
}

}  // namespace

DTypePolicy::DTypePolicy(const std::string& name) : name_(name) {
  struct Known {
    const char* name;
    DType compute, variable;
  };
  static constexpr Known kKnown[] = {
      {"float32", DType::float32, DType::float32},
      {"float64", DType::float64, DType::float64},
      {"float16", DType::float16, DType::float16},
      {"bfloat16", DType::bfloat16, DType::bfloat16},
      {"mixed_float16", DType::float16, DType::float32},
      {"mixed_bfloat16", DType::bfloat16, DType::float32},
  };
  for (const Known& k : kKnown) {
    if (name == k.name) {
      compute_ = k.compute;
      variable_ = k.variable;
      return;
    }
  }
  throw Error(cat("DTypePolicy: unknown policy \"", name,
                  "\"; known: float32, float64, float16, bfloat16, mixed_float16, "
                  "mixed_bfloat16"));
}

DTypePolicy::DTypePolicy(DType dtype) : DTypePolicy(std::string(dtype_name(dtype))) {}

Config DTypePolicy::get_config() const {
  return {{"module", "keras"},
          {"class_name", "DTypePolicy"},
          {"config", {{"name", name_}}},
          {"registered_name", nullptr}};
}

DTypePolicy DTypePolicy::from_config(const Config& config) {
  if (config.is_string()) return DTypePolicy(config.get<std::string>());
  if (config.is_object()) {
    const std::string kind = config.value("class_name", std::string());
    const Config inner = config.value("config", Config::object());
    if ((kind == "DTypePolicy" || kind == "Policy") && inner.is_object() &&
        inner.contains("name") && inner["name"].is_string()) {
      return DTypePolicy(inner["name"].get<std::string>());
    }
  }
  throw Error(cat("dtype: expected a dtype name or a DTypePolicy config, got ", config.dump()));
}

std::ostream& operator<<(std::ostream& out, const DTypePolicy& policy) {
  return out << "<DTypePolicy \"" << policy.name() << "\">";
}

namespace mixed_precision {

void set_global_policy(const DTypePolicy& policy) {
  std::lock_guard<std::mutex> lock(policy_mutex());
  global() = policy;
}

DTypePolicy global_policy() {
  std::lock_guard<std::mutex> lock(policy_mutex());
  return global();
}

}  // namespace mixed_precision
}  // namespace ember::keras
