#include "core/device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <ostream>

#include "core/backend/backend.h"
#include "core/error.h"

namespace ember {
namespace {

thread_local std::optional<Device> scoped_device;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

Device Device::parse(const std::string& text) {
  std::string s = lower(text);
  if (!s.empty() && s.front() == '/') s.erase(0, 1);
  if (s.rfind("device:", 0) == 0) s.erase(0, 7);
  const auto colon = s.find(':');
  const std::string kind = s.substr(0, colon);
  int index = 0;
  if (colon != std::string::npos) {
    const std::string number = s.substr(colon + 1);
    if (number.empty() || !std::all_of(number.begin(), number.end(), ::isdigit)) {
      throw DeviceError(cat("Device: cannot parse \"", text, "\": expected cpu, cuda or cuda:N"));
    }
    index = std::stoi(number);
  }
  if (kind == "cpu") return cpu();
  if (kind == "cuda" || kind == "gpu") return cuda(index);
  throw DeviceError(cat("Device: cannot parse \"", text, "\": expected cpu, cuda or cuda:N"));
}

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

std::ostream& operator<<(std::ostream& out, const Device& device) { return out << device.str(); }

int cuda_device_count() { return detail::cuda_backend_device_count(); }

void check_device_available(const Device& device) {
  if (device.is_cpu()) return;
  if (!detail::cuda_backend_compiled()) {
    throw DeviceError(cat("device ", device, " requested, but this ember was built without CUDA ",
                          "(configure with -DEMBER_CUDA=ON)"));
  }
  const int count = cuda_device_count();
  if (count == 0) {
    throw DeviceError(cat("device ", device, " requested, but no CUDA GPU is available (",
                          detail::cuda_unavailable_reason(), ")"));
  }
  if (device.index < 0 || device.index >= count) {
    throw DeviceError(cat("device ", device, " requested, but only ", count,
                          " CUDA device(s) exist (cuda:0 .. cuda:", count - 1, ")"));
  }
}

void synchronize(const Device& device) { detail::backend_for(device).synchronize(); }

Device default_device() {
  if (scoped_device) return *scoped_device;
  static const Device from_environment = [] {
    if (const char* env = std::getenv("EMBER_DEVICE"); env != nullptr && *env != '\0') {
      return Device::parse(env);
    }
    return cuda_available() ? Device::cuda(0) : Device::cpu();
  }();
  return from_environment;
}

DeviceScope::DeviceScope(Device device)
    : previous_(scoped_device.value_or(Device::cpu())), had_previous_(scoped_device.has_value()) {
  check_device_available(device);
  scoped_device = device;
}

DeviceScope::~DeviceScope() {
  if (had_previous_) {
    scoped_device = previous_;
  } else {
    scoped_device.reset();
  }
}

}  // namespace ember
