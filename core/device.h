// Where a tensor's storage lives. The device is a property of the data: ops run on the device of
// their inputs, and mixing devices is an error (never an implicit copy).
#pragma once

#include <iosfwd>
#include <string>

namespace ember {

enum class DeviceKind : unsigned char { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;

  static Device cpu() { return {DeviceKind::cpu, 0}; }
  static Device cuda(int index = 0) { return {DeviceKind::cuda, index}; }
  /// Parses "cpu", "CPU:0", "cuda", "cuda:1", "gpu", "/GPU:0" (TensorFlow's spellings too).
  static Device parse(const std::string& text);

  bool is_cpu() const { return kind == DeviceKind::cpu; }
  bool is_cuda() const { return kind == DeviceKind::cuda; }
  /// "cpu" or "cuda:N".
  std::string str() const;
  bool operator==(const Device&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Device& device);

/// Number of CUDA devices present (0 in a build without CUDA or without a GPU).
int cuda_device_count();
/// Whether GPU `index` is present and this build has code it can run (its architecture, or PTX
/// the driver can compile for it: a build for sm_90 does not run on an sm_86 laptop GPU).
bool cuda_device_usable(int index);
/// Whether cuda:0 is usable: what GPU tests ask before they run.
bool cuda_available();

/// The device new tensors go to when none is named: the innermost DeviceScope, else the
/// EMBER_DEVICE environment variable ("cpu", "cuda:0"), else cuda:0 when a GPU is present and
/// this build can run on it, else the CPU (with one warning when a GPU is there but cannot run
/// this build).
Device default_device();

/// Throws DeviceError when `device` cannot be used here (no GPU, a build without CUDA, an index
/// past the last GPU).
void check_device_available(const Device& device);

/// Waits until all work queued on `device` has finished (torch.cuda.synchronize); for timing.
/// Reading values (to_vector, item, printing, .to(cpu)) already waits by itself.
void synchronize(const Device& device);

/// Sets the default device for a block, like `with tf.device("/CPU:0"):`. Scopes nest; they are
/// per thread.
class DeviceScope {
 public:
  explicit DeviceScope(Device device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  Device previous_;
  bool had_previous_;
};

}  // namespace ember
