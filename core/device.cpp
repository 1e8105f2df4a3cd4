#include "core/device.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <vector>

#include "core/backend/backend.h"
#include "core/backend/cuda_architectures.h"
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

namespace {

const detail::CudaTargets& built_targets() {
  static const detail::CudaTargets targets =
      detail::parse_cuda_architectures(detail::cuda_built_architectures());
  return targets;
}

}  // namespace

bool cuda_device_usable(int index) {
  // Queried once: tests ask before each case, and a GPU's capability does not change.
  static const std::vector<bool> usable = [] {
    std::vector<bool> out;
    for (int i = 0; i < cuda_device_count(); ++i) {
      const auto properties = detail::cuda_backend_properties(i);
      out.push_back(detail::can_run(built_targets(), properties.major, properties.minor));
    }
    return out;
  }();
  return index >= 0 && index < static_cast<int>(usable.size()) && usable[index];
}

bool cuda_available() { return cuda_device_usable(0); }

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
  if (!cuda_device_usable(device.index)) {
    const auto p = detail::cuda_backend_properties(device.index);
    throw DeviceError(cat("device ", device, " (", p.name, ", compute capability ", p.major, ".",
                          p.minor, ") cannot run this ember, built for CUDA architectures ",
                          built_targets().text,
                          " (rebuild with -DCMAKE_CUDA_ARCHITECTURES=", p.major, p.minor, ")"));
  }
}

void synchronize(const Device& device) { detail::backend_for(device).synchronize(); }

Device default_device() {
  if (scoped_device) return *scoped_device;
  static const Device from_environment = [] {
    if (const char* env = std::getenv("EMBER_DEVICE"); env != nullptr && *env != '\0') {
      return Device::parse(env);
    }
    const int count = cuda_device_count();
    if (count == 0) return Device::cpu();
    const auto p = detail::cuda_backend_properties(0);
    const auto choice =
        detail::choose_default_device(count, p.major, p.minor, p.name, built_targets());
    if (!choice.warning.empty()) warn(choice.warning);
    return choice.use_gpu ? Device::cuda(0) : Device::cpu();
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
