// Structure-aware mutators for the tfevents and png targets. Both formats checksum every record
// or chunk (TFRecord: masked CRC-32C of the length and of the data; PNG: CRC-32 of each chunk),
// so a mutated byte is mostly caught as corruption before the decoder sees it. Half the time
// these mutate and then set every checksum to match, so that mutants reach the protocol-buffer
// and image decoders; otherwise it is libFuzzer's own mutation, which tests the checks
// themselves. One file holds both, chosen at build time (EMBER_FUZZ_FORMAT_TFEVENTS or _PNG).
#include <zlib.h>

#include <cstdint>
#include <string_view>

#include "io/summary/record_file.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

std::uint64_t load(const std::uint8_t* p, int bytes, bool big_endian) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= std::uint64_t{p[big_endian ? bytes - 1 - i : i]} << (8 * i);
  return value;
}

void store(std::uint8_t* p, std::uint32_t value, bool big_endian) {
  for (int i = 0; i < 4; ++i)
    p[big_endian ? 3 - i : i] = static_cast<std::uint8_t>(value >> (8 * i));
}

std::string_view view(const std::uint8_t* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

/// TFRecord: [length u64][masked crc32c(length)][data][masked crc32c(data)], little-endian.
void fix_records(std::uint8_t* data, std::size_t size) {
  using ember::summary::detail::masked_crc32c;
  std::size_t at = 0;
  while (size - at >= 12) {
    store(data + at + 8, masked_crc32c(view(data + at, 8)), false);
    const std::uint64_t length = load(data + at, 8, false);
    if (length > size - at - 12 || size - at - 12 - length < 4) return;
    store(data + at + 12 + length, masked_crc32c(view(data + at + 12, length)), false);
    at += 16 + length;
  }
}

/// PNG: an 8-byte signature, then chunks [length u32][type][data][crc32(type + data)], big-endian.
void fix_chunks(std::uint8_t* data, std::size_t size) {
  std::size_t at = 8;
  while (at < size && size - at >= 12) {
    const std::uint64_t length = load(data + at, 4, true);
    if (length > size - at - 12) return;
    store(data + at + 8 + length,
          static_cast<std::uint32_t>(crc32_z(0L, data + at + 4, static_cast<z_size_t>(length + 4))),
          true);
    at += 12 + length;
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 2 == 0) {
#if defined(EMBER_FUZZ_FORMAT_TFEVENTS)
    fix_records(data, size);
#elif defined(EMBER_FUZZ_FORMAT_PNG)
    fix_chunks(data, size);
#endif
  }
  return size;
}
