#include "core/backend/cuda_architectures.h"

#include <cctype>

#include "core/error.h"

namespace ember::detail {

namespace {

/// "90" -> 9.0, "120" -> 12.0, "86" -> 8.6; false when not a capability.
bool parse_capability(std::string_view digits, int& major, int& minor) {
  if (digits.size() < 2 || digits.size() > 3) return false;
  for (const char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  const int value = std::stoi(std::string(digits));
  major = value / 10;
  minor = value % 10;
  return major >= 1;
}

}  // namespace

CudaTargets parse_cuda_architectures(std::string_view list) {
  CudaTargets out;
  out.text = std::string(list);
  std::size_t at = 0;
  while (at <= list.size()) {
    std::size_t end = list.find_first_of(";,", at);
    if (end == std::string_view::npos) end = list.size();
    std::string_view entry = list.substr(at, end - at);
    at = end + 1;
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) continue;
    CudaTarget target;
    target.sass = target.ptx = true;
    if (entry.ends_with("-real")) {
      target.ptx = false;
      entry.remove_suffix(5);
    } else if (entry.ends_with("-virtual")) {
      target.sass = false;
      entry.remove_suffix(8);
    }
    if (!entry.empty() && (entry.back() == 'a' || entry.back() == 'f')) {
      target.specific = true;
      entry.remove_suffix(1);
    }
    if (!parse_capability(entry, target.major, target.minor)) {
      out.unknown = true;  // "native", "all", "all-major": decided by CMake, not known here
      continue;
    }
    out.targets.push_back(target);
  }
  return out;
}

bool can_run(const CudaTargets& built, int major, int minor) {
  if (built.unknown) return true;
  const int device = major * 10 + minor;
  for (const CudaTarget& t : built.targets) {
    const int target = t.major * 10 + t.minor;
    if (t.specific) {
      if (target == device) return true;
      continue;
    }
    if (t.sass && t.major == major && t.minor <= minor) return true;
    if (t.ptx && target <= device) return true;
  }
  return false;
}

DefaultDeviceChoice choose_default_device(int device_count, int major, int minor,
                                          const std::string& name, const CudaTargets& built) {
  if (device_count <= 0) return {false, ""};
  if (can_run(built, major, minor)) return {true, ""};
  return {false, cat("cuda:0 (", name, ", compute capability ", major, ".", minor,
                     ") cannot run this ember, built for CUDA architectures ", built.text,
                     ": using the CPU. Rebuild with -DCMAKE_CUDA_ARCHITECTURES=", major, minor,
                     " to use this GPU.")};
}

}  // namespace ember::detail
