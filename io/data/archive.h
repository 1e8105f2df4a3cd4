// (internal) Unpacking .tar, .tar.gz, .tar.bz2, .tar.xz and .zip archives with libarchive, for
// utils::get_file's `extract`, refusing what would write outside the target folder.
#pragma once

#include <cstdint>
#include <string>

namespace ember::io {

struct ExtractLimits {
  /// The most bytes all entries together may hold once extracted (a zip bomb stops here).
  std::uint64_t max_total_bytes = std::uint64_t{32} << 30;
  /// The most entries an archive may hold.
  std::uint64_t max_entries = std::uint64_t{1} << 20;
};

/// Whether this build can extract (ember was built with libarchive).
bool extraction_available();

/// "tar", "zip" or "" (not an archive of those kinds), by the file's first bytes: gzip, bzip2
/// and xz streams count as tar, as Keras' `archive_format="tar"` takes them.
std::string archive_kind(const std::string& path);

/// Extracts every entry of the archive at `path` into the existing folder `dir`. Throws IoError
/// naming the archive and the entry for an entry whose path is absolute or climbs out of `dir`
/// (`..`), a symbolic or hard link pointing outside it, a device or fifo, more than the limits
/// allow, or a damaged or truncated archive. What was written before the error stays in `dir`:
/// the caller extracts into a scratch folder and removes it on failure.
void extract_archive(const std::string& path, const std::string& dir,
                     const ExtractLimits& limits = {});

}  // namespace ember::io
