// What ember's devices did: kernels run, reads back to the host, allocations and the peak of live
// memory, counted for every op on every device (a few relaxed atomic additions per op). For
// finding what a training step costs beyond its arithmetic:
//
//   debug::reset_counters();
//   model.train_on_batch(x, y);
//   const debug::Counters c = debug::counters();   // c.kernels, c.host_reads, c.peak_bytes, ...
//
// EMBER_PROFILE=1 makes fit, evaluate and predict print these per step at the end of each epoch
// (docs/performance.md, "Counters").
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "core/device.h"

namespace ember::debug {

struct Counters {
  /// Backend primitives run: kernel launches on a GPU (an elementwise op, a matmul, a convolution
  /// pass, an optimizer update, a device-to-device copy), kernel calls on the CPU.
  std::int64_t kernels = 0;
  /// Copies from a device to the host (to_vector, item, .to(cpu) of a GPU tensor), which wait for
  /// the device, and their bytes. CPU tensors count too: the same program on a GPU would wait.
  std::int64_t host_reads = 0;
  std::int64_t host_read_bytes = 0;
  /// Copies from the host to a device (constant, from a host vector) and their bytes.
  std::int64_t host_writes = 0;
  std::int64_t host_write_bytes = 0;
  /// Tensor buffers allocated and their bytes (served by the allocator's cache or not).
  std::int64_t allocations = 0;
  std::int64_t allocated_bytes = 0;
  /// The most bytes held by live tensors at once since the last reset_counters().
  std::int64_t peak_bytes = 0;
};

/// The counts since the last reset_counters(), summed over all devices, or of one device.
Counters counters();
Counters counters(const Device& device);

/// Starts counting afresh (peak_bytes starts from the bytes live now).
void reset_counters();

/// "190 kernels, 3 host reads (12 B), 0 host writes (0 B), 120 allocations (4.2 MiB), peak 35 MiB".
std::ostream& operator<<(std::ostream& out, const Counters& counters);

/// A size in bytes as people read it: "12 B", "2 KiB", "4.2 MiB", "1.5 GiB".
std::string byte_size_text(double bytes);

}  // namespace ember::debug
