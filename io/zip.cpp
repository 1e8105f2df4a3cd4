// Zip reading and writing (io/zip.h) after PKWARE's APPNOTE: entries are found through the
// central directory at the end of the file (the local headers may carry zero sizes), zip64
// records are followed when a size or offset does not fit 32 bits.
#include "io/zip.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <limits>
#include <set>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/whole_file.h"

namespace ember::io {

namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndOfDirectory = 0x06054b50;
constexpr std::uint32_t kZip64EndOfDirectory = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::uint16_t kZip64ExtraId = 0x0001;

/// Little-endian reads with bounds checks against the whole archive.
class Reader {
 public:
  Reader(const std::string& bytes, const std::string& path) : bytes_(bytes), path_(path) {}

  std::uint64_t read(std::uint64_t at, int width) const {
    // Written so that no sum wraps around: offsets from zip64 fields may be anything.
    if (at > bytes_.size() || static_cast<std::uint64_t>(width) > bytes_.size() - at) truncated();
    std::uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i)
      value = (value << 8) | static_cast<unsigned char>(bytes_[at + i]);
    return value;
  }
  std::string slice(std::uint64_t at, std::uint64_t length) const {
    if (at > bytes_.size() || length > bytes_.size() - at) truncated();
    return bytes_.substr(at, length);
  }
  [[noreturn]] void truncated() const { throw IoError(cat(path_, ": truncated zip archive")); }
  [[noreturn]] void malformed(const std::string& what) const {
    throw IoError(cat(path_, ": malformed zip archive: ", what));
  }
  std::uint64_t size() const { return bytes_.size(); }

 private:
  const std::string& bytes_;
  const std::string& path_;
};

struct Directory {
  std::uint64_t entries = 0;
  std::uint64_t offset = 0;
};

/// Finds the end-of-central-directory record (the last 22 + up to 65535 comment bytes) and,
/// when its fields are saturated, the zip64 record it points to.
Directory find_directory(const Reader& in, const std::string& path) {
  if (in.size() < 22) throw IoError(cat(path, ": not a zip archive (", in.size(), " bytes)"));
  const std::uint64_t lowest = in.size() > 22 + 65535 ? in.size() - 22 - 65535 : 0;
  for (std::uint64_t at = in.size() - 22;; --at) {
    if (in.read(at, 4) == kEndOfDirectory) {
      Directory d{in.read(at + 10, 2), in.read(at + 16, 4)};
      if ((d.entries == 0xFFFF || d.offset == 0xFFFFFFFF) && at >= 20 &&
          in.read(at - 20, 4) == kZip64Locator) {
        const std::uint64_t record = in.read(at - 20 + 8, 8);
        if (in.read(record, 4) != kZip64EndOfDirectory)
          in.malformed("bad zip64 end-of-directory record");
        d = {in.read(record + 32, 8), in.read(record + 48, 8)};
      }
      return d;
    }
    if (at == lowest) break;
  }
  throw IoError(cat(path, ": not a zip archive (no end-of-central-directory record)"));
}

std::string inflate_raw(const std::string& compressed, std::uint64_t size, const Reader& in,
                        const std::string& name) {
  // The size comes from the archive: deflate expands at most 1032 times, so a larger claim is a
  // corrupt (or hostile) entry, refused before any memory is taken for it.
  if (size > compressed.size() * 1032 + 64 || size >= std::numeric_limits<uInt>::max()) {
    in.malformed(cat(name, ": claims ", size, " bytes from ", compressed.size(), " deflated ones"));
  }
  std::string out(size, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
    in.malformed(cat(name, ": zlib initialisation failed"));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = inflate(&stream, Z_FINISH);
  const bool complete = status == Z_STREAM_END && stream.total_out == size;
  inflateEnd(&stream);
  if (!complete) in.malformed(cat(name, ": corrupt deflated data"));
  return out;
}

/// MS-DOS date and time fields of now (local time), as zip headers want them.
std::pair<std::uint16_t, std::uint16_t> dos_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  const auto time =
      static_cast<std::uint16_t>((local.tm_hour << 11) | (local.tm_min << 5) | (local.tm_sec / 2));
  const auto date = static_cast<std::uint16_t>(((local.tm_year - 80) << 9) |
                                               ((local.tm_mon + 1) << 5) | local.tm_mday);
  return {time, date};
}

void put(std::ostream& out, std::uint64_t value, int width) {
  for (int i = 0; i < width; ++i) out.put(static_cast<char>((value >> (8 * i)) & 0xFF));
}

}  // namespace

std::vector<ZipEntry> read_zip(const std::string& path, const ZipLimits& limits) {
  const std::string bytes = read_file_bytes(path);
  const Reader in(bytes, path);
  const Directory directory = find_directory(in, path);

  // First the directory, whole and checked, then the data: nothing is inflated for an archive
  // whose entries overlap (one deflated stream counted many times: a zip bomb), repeat a name or
  // claim more than the limits allow.
  struct Record {
    std::string name;
    std::uint64_t method, crc, compressed_size, size, local, data_at;
  };
  std::vector<Record> records;
  std::set<std::string> names;
  std::uint64_t total = 0;
  std::uint64_t at = directory.offset;
  for (std::uint64_t i = 0; i < directory.entries; ++i) {
    if (in.read(at, 4) != kCentralHeader)
      in.malformed(cat("central directory entry ", i, " has a bad signature"));
    const auto flags = in.read(at + 8, 2);
    Record r;
    r.method = in.read(at + 10, 2);
    r.crc = in.read(at + 16, 4);
    r.compressed_size = in.read(at + 20, 4);
    r.size = in.read(at + 24, 4);
    const auto name_length = in.read(at + 28, 2);
    const auto extra_length = in.read(at + 30, 2);
    const auto comment_length = in.read(at + 32, 2);
    r.local = in.read(at + 42, 4);
    r.name = in.slice(at + 46, name_length);
    // Zip64: the saturated fields follow in the extra field, in this order.
    for (std::uint64_t e = at + 46 + name_length; e + 4 <= at + 46 + name_length + extra_length;) {
      const auto id = in.read(e, 2);
      const auto length = in.read(e + 2, 2);
      if (id == kZip64ExtraId) {
        std::uint64_t field = e + 4;
        if (r.size == 0xFFFFFFFF) r.size = in.read(field, 8), field += 8;
        if (r.compressed_size == 0xFFFFFFFF) r.compressed_size = in.read(field, 8), field += 8;
        if (r.local == 0xFFFFFFFF) r.local = in.read(field, 8);
      }
      e += 4 + length;
    }
    if (flags & 1) in.malformed(cat(r.name, ": encrypted entries are not supported"));
    if (in.read(r.local, 4) != kLocalHeader)
      in.malformed(cat(r.name, ": bad local header signature"));
    r.data_at = r.local + 30 + in.read(r.local + 26, 2) + in.read(r.local + 28, 2);
    if (r.data_at > in.size() || r.compressed_size > in.size() - r.data_at) in.truncated();
    if (!names.insert(r.name).second) in.malformed(cat("two entries are named '", r.name, "'"));
    if (r.size > limits.max_total_bytes - total) {
      throw IoError(cat(path, ": the zip archive's entries claim more than ",
                        limits.max_total_bytes, " bytes in all (ZipLimits::max_total_bytes)"));
    }
    total += r.size;
    records.push_back(std::move(r));
    at += 46 + name_length + extra_length + comment_length;
  }
  if (limits.max_ratio != 0 && total / limits.max_ratio > in.size()) {
    in.malformed(cat("its entries claim ", total, " bytes from an archive of ", in.size(),
                     " (more than ", limits.max_ratio, " times its size)"));
  }
  // Each entry's local header and data must be its own bytes.
  std::vector<const Record*> by_offset;
  for (const Record& r : records) by_offset.push_back(&r);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const Record* a, const Record* b) { return a->local < b->local; });
  for (std::size_t i = 1; i < by_offset.size(); ++i) {
    const Record& before = *by_offset[i - 1];
    if (by_offset[i]->local < before.data_at + before.compressed_size) {
      in.malformed(
          cat("entries '", before.name, "' and '", by_offset[i]->name, "' overlap in the file"));
    }
  }

  std::vector<ZipEntry> entries;
  for (Record& r : records) {
    std::string compressed = in.slice(r.data_at, r.compressed_size);
    std::string data;
    if (r.method == 0) {
      if (r.compressed_size != r.size)
        in.malformed(cat(r.name, ": stored entry with different sizes"));
      data = std::move(compressed);
    } else if (r.method == 8) {
      data = inflate_raw(compressed, r.size, in, r.name);
    } else {
      in.malformed(cat(r.name, ": compression method ", r.method,
                       " (ember reads stored and deflated entries)"));
    }
    const auto actual_crc = crc32_z(0L, reinterpret_cast<const Bytef*>(data.data()), data.size());
    if (actual_crc != r.crc) in.malformed(cat(r.name, ": CRC-32 mismatch (corrupt entry)"));
    entries.push_back({std::move(r.name), std::move(data)});
  }
  return entries;
}

void write_zip(const std::string& path, const std::vector<ZipEntry>& entries) {
  for (const ZipEntry& entry : entries) {
    if (entry.data.size() >= std::numeric_limits<std::uint32_t>::max()) {
      throw IoError(cat(path, ": entry ", entry.name, " has ", entry.data.size(),
                        " bytes; ember writes zip archives under 4 GiB per entry"));
    }
  }
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  const auto now = dos_now();
  const auto time = now.first, date = now.second;
  write_atomically(path, [&](std::ostream& out) {
    std::vector<std::uint64_t> offsets;
    std::vector<std::uint32_t> crcs;
    std::uint64_t position = 0;
    for (const ZipEntry& entry : entries) {
      const auto crc =
          static_cast<std::uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(entry.data.data()),
                                             static_cast<uInt>(entry.data.size())));
      offsets.push_back(position);
      crcs.push_back(crc);
      put(out, kLocalHeader, 4);
      put(out, 20, 2);  // version needed: 2.0
      put(out, 0, 2);   // flags
      put(out, 0, 2);   // stored
      put(out, time, 2);
      put(out, date, 2);
      put(out, crc, 4);
      put(out, entry.data.size(), 4);
      put(out, entry.data.size(), 4);
      put(out, entry.name.size(), 2);
      put(out, 0, 2);
      out << entry.name << entry.data;
      position += 30 + entry.name.size() + entry.data.size();
    }
    const std::uint64_t directory_at = position;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const ZipEntry& entry = entries[i];
      put(out, kCentralHeader, 4);
      put(out, 20, 2);  // made by: 2.0
      put(out, 20, 2);  // needed: 2.0
      put(out, 0, 2);
      put(out, 0, 2);
      put(out, time, 2);
      put(out, date, 2);
      put(out, crcs[i], 4);
      put(out, entry.data.size(), 4);
      put(out, entry.data.size(), 4);
      put(out, entry.name.size(), 2);
      put(out, 0, 2);  // extra
      put(out, 0, 2);  // comment
      put(out, 0, 2);  // disk
      put(out, 0, 2);  // internal attributes
      put(out, 0, 4);  // external attributes
      put(out, offsets[i], 4);
      out << entry.name;
      position += 46 + entry.name.size();
    }
    if (directory_at > std::numeric_limits<std::uint32_t>::max()) {
      throw IoError(cat(path, ": the archive passes 4 GiB; ember writes zip archives under 4 GiB"));
    }
    put(out, kEndOfDirectory, 4);
    put(out, 0, 2);
    put(out, 0, 2);
    put(out, entries.size(), 2);
    put(out, entries.size(), 2);
    put(out, position - directory_at, 4);
    put(out, directory_at, 4);
    put(out, 0, 2);
  });
}

}  // namespace ember::io
