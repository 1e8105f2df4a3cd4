#include "core/counters.h"

#include <array>
#include <atomic>
#include <ostream>
#include <sstream>

#include "core/counters_internal.h"
#include "core/error.h"

namespace ember::debug {
namespace {

constexpr int kSlots = 1 + 16;  // the CPU, then up to 16 GPUs

struct Slot {
  std::atomic<std::int64_t> kernels{0}, host_reads{0}, host_read_bytes{0}, host_writes{0},
      host_write_bytes{0}, allocations{0}, allocated_bytes{0}, live_bytes{0}, peak_bytes{0};

  Counters read() const {
    return {kernels.load(),          host_reads.load(),  host_read_bytes.load(), host_writes.load(),
            host_write_bytes.load(), allocations.load(), allocated_bytes.load(), peak_bytes.load()};
  }
};

std::array<Slot, kSlots>& slots() {
  static std::array<Slot, kSlots> all;
  return all;
}

Slot& slot_of(const Device& device) {
  const int index = device.is_cpu() ? 0 : 1 + device.index;
  if (index < 0 || index >= kSlots) throw DeviceError(cat("counters: no counters for ", device));
  return slots()[static_cast<std::size_t>(index)];
}

void raise_peak(Slot& s, std::int64_t live) {
  std::int64_t peak = s.peak_bytes.load(std::memory_order_relaxed);
  while (live > peak &&
         !s.peak_bytes.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
  }
}

}  // namespace

Counters counters(const Device& device) { return slot_of(device).read(); }

Counters counters() {
  Counters total;
  for (const Slot& s : slots()) {
    const Counters c = s.read();
    total.kernels += c.kernels;
    total.host_reads += c.host_reads;
    total.host_read_bytes += c.host_read_bytes;
    total.host_writes += c.host_writes;
    total.host_write_bytes += c.host_write_bytes;
    total.allocations += c.allocations;
    total.allocated_bytes += c.allocated_bytes;
    total.peak_bytes += c.peak_bytes;  // each device's own peak: the memory each needed
  }
  return total;
}

void reset_counters() {
  for (Slot& s : slots()) {
    for (auto* counter : {&s.kernels, &s.host_reads, &s.host_read_bytes, &s.host_writes,
                          &s.host_write_bytes, &s.allocations, &s.allocated_bytes})
      counter->store(0);
    s.peak_bytes.store(s.live_bytes.load());
  }
}

std::string byte_size_text(double bytes) {
  std::ostringstream text;
  text.precision(3);  // three significant digits
  if (bytes < 1024) {
    text << bytes << " B";
  } else if (bytes < 1024.0 * 1024) {
    text << bytes / 1024 << " KiB";
  } else if (bytes < 1024.0 * 1024 * 1024) {
    text << bytes / (1024.0 * 1024) << " MiB";
  } else {
    text << bytes / (1024.0 * 1024 * 1024) << " GiB";
  }
  return text.str();
}

std::ostream& operator<<(std::ostream& out, const Counters& c) {
  return out << c.kernels << " kernels, " << c.host_reads << " host reads ("
             << byte_size_text(static_cast<double>(c.host_read_bytes)) << "), " << c.host_writes
             << " host writes (" << byte_size_text(static_cast<double>(c.host_write_bytes)) << "), "
             << c.allocations << " allocations ("
             << byte_size_text(static_cast<double>(c.allocated_bytes)) << "), peak "
             << byte_size_text(static_cast<double>(c.peak_bytes));
}

}  // namespace ember::debug

namespace ember::detail {

void count_kernel(const Device& device) {
  debug::slot_of(device).kernels.fetch_add(1, std::memory_order_relaxed);
}

void count_host_read(const Device& device, std::size_t bytes) {
  auto& s = debug::slot_of(device);
  s.host_reads.fetch_add(1, std::memory_order_relaxed);
  s.host_read_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
}

void count_host_write(const Device& device, std::size_t bytes) {
  auto& s = debug::slot_of(device);
  s.host_writes.fetch_add(1, std::memory_order_relaxed);
  s.host_write_bytes.fetch_add(static_cast<std::int64_t>(bytes), std::memory_order_relaxed);
}

void count_allocation(const Device& device, std::size_t bytes) {
  auto& s = debug::slot_of(device);
  const auto n = static_cast<std::int64_t>(bytes);
  s.allocations.fetch_add(1, std::memory_order_relaxed);
  s.allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  debug::raise_peak(s, s.live_bytes.fetch_add(n, std::memory_order_relaxed) + n);
}

void count_deallocation(const Device& device, std::size_t bytes) {
  debug::slot_of(device).live_bytes.fetch_sub(static_cast<std::int64_t>(bytes),
                                              std::memory_order_relaxed);
}

}  // namespace ember::detail
