#include "io/summary/record_file.h"

#include "core/error.h"

// Without ISA-L (EMBER_TENSORBOARD off) these throw; the writer and reader say why first.
#if EMBER_WITH_TENSORBOARD

#include <isa-l/crc.h>

#include <algorithm>
#include <cstring>

namespace ember::summary::detail {

std::uint32_t crc32c(std::string_view data) {
  // ISA-L keeps the CRC register uninverted between calls: start from all ones, invert at the end.
  unsigned int crc = 0xFFFFFFFFu;
  auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(data.data()));
  std::size_t done = 0;
  while (done < data.size()) {  // crc32_iscsi takes an int length
    const auto chunk = static_cast<int>(std::min<std::size_t>(data.size() - done, 1u << 30));
    crc = crc32_iscsi(bytes + done, chunk, crc);
    done += static_cast<std::size_t>(chunk);
  }
  return ~crc;
}

std::uint32_t masked_crc32c(std::string_view data) {
  const std::uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

namespace {
void append_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}
}  // namespace

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  append_le(out, data.size(), 8);
  append_le(out, masked_crc32c(std::string_view(out.data(), 8)), 4);
  out.append(data);
  append_le(out, masked_crc32c(data), 4);
  return out;
}

}  // namespace ember::summary::detail

#else

namespace ember::summary::detail {

namespace {
[[noreturn]] void no_crc32c() {
  throw Error("CRC-32C: this ember was built without ISA-L (EMBER_TENSORBOARD off)");
}
}  // namespace

std::uint32_t crc32c(std::string_view) { no_crc32c(); }
std::uint32_t masked_crc32c(std::string_view) { no_crc32c(); }
std::string frame_record(std::string_view) { no_crc32c(); }

}  // namespace ember::summary::detail

#endif
