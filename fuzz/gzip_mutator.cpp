// A structure-aware mutator for the idx target, whose files may be gzip'ed: gzip ends with a
// CRC-32 of the data, so a byte changed in the compressed stream is mostly caught as corruption
// before the IDX reader sees anything. Half the time this mutates the decompressed IDX bytes and
// compresses them again (a valid stream, a mutated file); otherwise, and for plain files, it is
// libFuzzer's own mutation.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

constexpr std::size_t kMostInflated = std::size_t{1} << 20;

bool gunzip(const std::uint8_t* data, std::size_t size, std::vector<std::uint8_t>& out) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  out.resize(kMostInflated);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  const int status = inflate(&z, Z_FINISH);
  out.resize(out.size() - z.avail_out);
  inflateEnd(&z);
  return status == Z_STREAM_END;
}

std::size_t gzip_into(const std::vector<std::uint8_t>& in, std::uint8_t* out, std::size_t max) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = out;
  z.avail_out = static_cast<uInt>(max);
  const int status = deflate(&z, Z_FINISH);
  const std::size_t written = max - z.avail_out;
  deflateEnd(&z);
  return status == Z_STREAM_END ? written : 0;
}

}  // namespace

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size,
                                               std::size_t max_size, unsigned int seed) {
  std::vector<std::uint8_t> inner;
  if (seed % 2 == 0 && size >= 2 && data[0] == 0x1f && data[1] == 0x8b &&
      gunzip(data, size, inner)) {
    const std::size_t original = inner.size();
    const std::size_t room = std::max<std::size_t>(original * 2, 64);
    inner.resize(room);
    inner.resize(LLVMFuzzerMutate(inner.data(), original, room));
    std::vector<std::uint8_t> packed(max_size);
    const std::size_t packed_size = gzip_into(inner, packed.data(), packed.size());
    if (packed_size > 0) {
      std::memcpy(data, packed.data(), packed_size);
      return packed_size;
    }
  }
  return LLVMFuzzerMutate(data, size, max_size);
}
