#include "io/data/archive.h"

#include <array>
#include <fstream>

#include "core/error.h"

#if EMBER_WITH_LIBARCHIVE
#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <memory>
#endif

namespace ember::io {

std::string archive_kind(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(cat(path, ": cannot open the archive"));
  std::array<unsigned char, 512> head{};
  in.read(reinterpret_cast<char*>(head.data()), head.size());
  const auto got = static_cast<std::size_t>(in.gcount());
  auto starts = [&](std::initializer_list<unsigned char> magic) {
    if (got < magic.size()) return false;
    std::size_t i = 0;
    for (unsigned char byte : magic) {
      if (head[i++] != byte) return false;
    }
    return true;
  };
  if (starts({'P', 'K', 3, 4}) || starts({'P', 'K', 5, 6})) return "zip";
  // gzip, bzip2 and xz streams: Keras' "tar" opens tar files compressed with any of them.
  if (starts({0x1f, 0x8b}) || starts({'B', 'Z', 'h'}) || starts({0xfd, '7', 'z', 'X', 'Z', 0})) {
    return "tar";
  }
  if (got >= 262 && std::string(reinterpret_cast<const char*>(head.data()) + 257, 5) == "ustar") {
    return "tar";
  }
  return "";
}

#if EMBER_WITH_LIBARCHIVE
namespace {

namespace fs = std::filesystem;

using ReadArchive = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WriteArchive = std::unique_ptr<archive, decltype(&archive_write_free)>;

// Whether the relative path `p`, taken from the folder `base` (relative to the target folder),
// stays inside the target folder when its `..` are applied. Lexical: extract_archive also has
// libarchive refuse to write through symbolic links, so no link on the way can lead elsewhere.
bool stays_inside(const fs::path& base, const fs::path& p) {
  if (p.is_absolute() || p.has_root_name()) return false;
  int depth = 0;
  for (const fs::path& part : base / p) {
    const std::string name = part.string();
    if (name.empty() || name == ".") continue;
    if (name == "..") {
      if (--depth < 0) return false;
    } else {
      ++depth;
    }
  }
  return true;
}

[[noreturn]] void refuse(const std::string& archive_path, const std::string& entry,
                         const std::string& why) {
  throw IoError(cat(archive_path, ": refusing entry \"", entry, "\": ", why));
}

// The entry's checks: its path, its kind, and where a link points.
void check_entry(const std::string& archive_path, archive_entry* entry) {
  const char* raw_name = archive_entry_pathname(entry);
  const std::string name = raw_name != nullptr ? raw_name : "";
  if (name.empty()) refuse(archive_path, name, "it has no name");
  if (name.front() == '/') refuse(archive_path, name, "its path is absolute");
  if (!stays_inside("", name)) refuse(archive_path, name, "its path leaves the target folder (..)");
  // A hard link names the entry it shares; tar gives it no file type of its own.
  if (const char* target = archive_entry_hardlink(entry)) {
    if (target[0] == '/' || !stays_inside("", target)) {
      refuse(archive_path, name,
             cat("it is a hard link to \"", target, "\", outside the target folder"));
    }
    return;
  }
  const mode_t type = archive_entry_filetype(entry);
  if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
    refuse(archive_path, name, "it is a device, fifo or socket, not a file, folder or link");
  }
  if (type == AE_IFLNK) {
    const char* target = archive_entry_symlink(entry);
    const std::string link = target != nullptr ? target : "";
    if (link.empty() || link.front() == '/' || !stays_inside(fs::path(name).parent_path(), link)) {
      refuse(archive_path, name,
             cat("it is a symbolic link to \"", link, "\", outside the target folder"));
    }
  }
}

std::string archive_problem(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "damaged archive";
}

}  // namespace

bool extraction_available() { return true; }

void extract_archive(const std::string& path, const std::string& dir, const ExtractLimits& limits) {
  ReadArchive reader(archive_read_new(), archive_read_free);
  WriteArchive writer(archive_write_disk_new(), archive_write_free);
  if (!reader || !writer) throw IoError(cat(path, ": libarchive could not start"));
  archive_read_support_filter_all(reader.get());
  archive_read_support_format_tar(reader.get());
  archive_read_support_format_gnutar(reader.get());
  archive_read_support_format_zip(reader.get());
  // No owners or permissions from the archive (no setuid files), no writing through links and no
  // "..": libarchive's checks, on top of check_entry's clearer ones. (Not NOABSOLUTEPATHS: each
  // entry is written at `root / name`, an absolute path; check_entry refuses absolute names.)
  archive_write_disk_set_options(writer.get(),
                                 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw IoError(cat(path, ": cannot open as an archive: ", archive_problem(reader.get())));
  }
  // Without links of its own: SECURE_SYMLINKS checks every folder of the paths it writes.
  std::error_code error;
  const fs::path root = fs::canonical(dir, error);
  if (error) throw IoError(cat(dir, ": cannot extract into it: ", error.message()));
  std::uint64_t total_bytes = 0;
  std::uint64_t entries = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    const int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) break;
    if (status < ARCHIVE_WARN) {
      throw IoError(cat(path, ": damaged or truncated archive after ", entries,
                        " entries: ", archive_problem(reader.get())));
    }
    if (++entries > limits.max_entries) {
      throw IoError(cat(path, ": more than ", limits.max_entries, " entries"));
    }
    check_entry(path, entry);
    const std::string name = archive_entry_pathname(entry);
    if (archive_entry_size_is_set(entry) && archive_entry_size(entry) > 0) {
      const auto claimed = static_cast<std::uint64_t>(archive_entry_size(entry));
      if (claimed > limits.max_total_bytes - total_bytes) {
        refuse(path, name,
               cat("it claims ", claimed, " bytes, beyond the limit of ", limits.max_total_bytes,
                   " bytes for the whole archive"));
      }
    }
    archive_entry_copy_pathname(entry, (root / name).c_str());
    if (const char* target = archive_entry_hardlink(entry)) {
      archive_entry_copy_hardlink(entry, (root / target).c_str());
    }
    if (archive_write_header(writer.get(), entry) < ARCHIVE_WARN) {
      throw IoError(cat(path, ": cannot write \"", name, "\": ", archive_problem(writer.get())));
    }
    const void* block = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    for (;;) {
      const int got = archive_read_data_block(reader.get(), &block, &size, &offset);
      if (got == ARCHIVE_EOF) break;
      if (got < ARCHIVE_WARN) {
        throw IoError(cat(path, ": damaged or truncated entry \"", name,
                          "\": ", archive_problem(reader.get())));
      }
      total_bytes += size;
      if (total_bytes > limits.max_total_bytes) {
        refuse(path, name,
               cat("the archive unpacks to more than ", limits.max_total_bytes, " bytes"));
      }
      if (archive_write_data_block(writer.get(), block, size, offset) < ARCHIVE_WARN) {
        throw IoError(cat(path, ": cannot write \"", name, "\": ", archive_problem(writer.get())));
      }
    }
    if (archive_write_finish_entry(writer.get()) < ARCHIVE_WARN) {
      throw IoError(cat(path, ": cannot finish \"", name, "\": ", archive_problem(writer.get())));
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    throw IoError(cat(path, ": cannot finish extracting: ", archive_problem(writer.get())));
  }
}

#else  // no libarchive

bool extraction_available() { return false; }

void extract_archive(const std::string& path, const std::string&, const ExtractLimits&) {
  throw IoError(cat(path,
                    ": this ember was built without libarchive, so it cannot extract "
                    "archives (apt-get install libarchive-dev and rebuild)"));
}

#endif

}  // namespace ember::io
