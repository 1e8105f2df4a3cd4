// A structure-aware mutator for the zip targets (zip, keras_archive): libFuzzer's mutation, then
// every entry's CRC-32 set to match its (mutated) data, so that mutants reach what lies past the
// checksum — the inflater, the archive's config.json and weights — instead of stopping at
// "CRC-32 mismatch". Malformed directories are left as they are (read_zip refuses them).
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

std::uint32_t read_le(const std::uint8_t* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void write_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

/// The CRC-32 of an entry's contents: of its bytes when stored, of the inflated bytes (up to
/// 16 MiB) when deflated; false when the data cannot be read.
bool entry_crc(const std::uint8_t* data, std::size_t size, std::uint32_t method,
               std::uint32_t* crc) {
  if (method == 0) {
    *crc = static_cast<std::uint32_t>(crc32_z(0L, data, size));
    return true;
  }
  if (method != 8) return false;
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return false;
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  std::vector<std::uint8_t> out(1 << 16);
  uLong running = crc32_z(0L, nullptr, 0);
  std::size_t total = 0;
  int status = Z_OK;
  while (status == Z_OK && total < (std::size_t{16} << 20)) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    status = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = out.size() - z.avail_out;
    running = crc32_z(running, out.data(), produced);
    total += produced;
    if (produced == 0 && status == Z_OK) break;
  }
  inflateEnd(&z);
  *crc = static_cast<std::uint32_t>(running);
  return status == Z_STREAM_END;
}

void fix_crcs(std::uint8_t* data, std::size_t size) {
  if (size < 22) return;
  std::size_t end = size - 22;  // the end-of-directory record, searched backwards
  while (end > 0 && read_le(data + end, 4) != 0x06054b50) --end;
  if (read_le(data + end, 4) != 0x06054b50) return;
  const std::uint32_t count = read_le(data + end + 10, 2);
  std::size_t at = read_le(data + end + 16, 4);
  for (std::uint32_t i = 0; i < count && at + 46 <= size; ++i) {
    if (read_le(data + at, 4) != 0x02014b50) return;
    const std::uint32_t method = read_le(data + at + 10, 2);
    const std::size_t compressed = read_le(data + at + 20, 4);
    const std::size_t name = read_le(data + at + 28, 2), extra = read_le(data + at + 30, 2),
                      comment = read_le(data + at + 32, 2);
    const std::size_t local = read_le(data + at + 42, 4);
    if (local + 30 <= size && read_le(data + local, 4) == 0x04034b50) {
      const std::size_t begin =
          local + 30 + read_le(data + local + 26, 2) + read_le(data + local + 28, 2);
      std::uint32_t crc = 0;
      if (begin <= size && compressed <= size - begin &&
          entry_crc(data + begin, compressed, method, &crc)) {
        write_le32(data + at + 16, crc);
        write_le32(data + local + 14, crc);
      }
    }
    at += 46 + name + extra + comment;
  }
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int /*seed*/) {
  size = LLVMFuzzerMutate(data, size, max_size);
  fix_crcs(data, size);
  return size;
}
