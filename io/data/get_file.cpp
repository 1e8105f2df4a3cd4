#include "io/data/get_file.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/data/archive.h"
#include "io/data/download.h"
#include "io/digest.h"

namespace ember::utils {
namespace {

namespace fs = std::filesystem;

bool writable_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  return fs::is_directory(dir, ec) && access(dir.c_str(), W_OK) == 0;
}

// The last part of the URL's path: "https://h/a/b.tar.gz?x=1" gives "b.tar.gz".
std::string name_from_url(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  const std::size_t scheme = path.find("://");
  if (scheme != std::string::npos) {
    path = path.substr(scheme + 3);
    const std::size_t slash = path.find('/');
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  const std::size_t last = path.find_last_of('/');
  return last == std::string::npos ? path : path.substr(last + 1);
}

// A name no other call (thread or process) uses at the same time, beside `path`.
std::string scratch_name(const fs::path& path, const char* what) {
  static std::atomic<unsigned> counter{0};
  return cat(path.string(), ".", what, "-", getpid(), "-", counter++);
}

std::string hash_hint(const std::string& file_hash, const std::string& algorithm) {
  return file_hash.empty() ? "" : cat(" (", algorithm, " ", file_hash, ")");
}

bool hash_matches(const std::string& path, const std::string& file_hash,
                  const std::string& algorithm) {
  return io::hash_file(path, algorithm) == file_hash;
}

// Downloads into a temporary file, checks it, makes it durable and renames it to `target`.
void fetch(const GetFileOptions& options, const fs::path& target, const std::string& algorithm) {
  const std::string temporary = scratch_name(target, "download");
  const std::string by_hand = cat("; or put the file at ", target.string(), " by hand",
                                  hash_hint(options.file_hash, algorithm));
  std::cout << "Downloading data from " << options.origin << std::endl;
  try {
    io::DownloadOptions download;
    download.connect_timeout_s = options.connect_timeout_s;
    download.idle_timeout_s = options.idle_timeout_s;
    download.progress = isatty(STDERR_FILENO) != 0;
    try {
      io::download(options.origin, temporary, download);
    } catch (const IoError& e) {
      throw IoError(cat("get_file: ", e.what(), by_hand));
    }
    if (!options.file_hash.empty()) {
      const std::string got = io::hash_file(temporary, algorithm);
      if (got != options.file_hash) {
        throw IoError(cat("get_file: ", options.origin,
                          ": incomplete or corrupted download: ", algorithm, " expected ",
                          options.file_hash, ", got ", got, "; nothing was kept", by_hand));
      }
    }
    io::sync_file(temporary);
    std::error_code ec;
    fs::rename(temporary, target, ec);
    if (ec)
      throw IoError(cat(target.string(), ": cannot move the download into place: ", ec.message()));
    io::sync_directory(target.parent_path().string());
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

// Unpacks `archive` into a temporary folder and renames it to `folder`, replacing an older one.
void unpack(const GetFileOptions& options, const fs::path& archive, const fs::path& folder) {
  const std::string kind = io::archive_kind(archive.string());
  if (kind.empty() || (options.archive_format != "auto" && options.archive_format != kind)) {
    throw IoError(cat(archive.string(), ": cannot extract: expected a ",
                      options.archive_format == "auto" ? "tar or zip" : options.archive_format,
                      " archive, got ", kind.empty() ? "neither" : "a " + kind + " archive"));
  }
  const fs::path scratch = scratch_name(folder, "partial");
  std::error_code ec;
  try {
    fs::create_directories(scratch);
    io::ExtractLimits limits;
    limits.max_total_bytes = options.max_extracted_bytes;
    io::extract_archive(archive.string(), scratch.string(), limits);
    fs::remove_all(folder, ec);
    fs::rename(scratch, folder, ec);
    if (ec)
      throw IoError(
          cat(folder.string(), ": cannot move the extracted folder into place: ", ec.message()));
    io::sync_directory(folder.parent_path().string());
  } catch (...) {
    fs::remove_all(scratch, ec);
    throw;
  }
}

}  // namespace

std::string ember_home() {
  if (const char* home = std::getenv("EMBER_HOME"); home != nullptr && *home != '\0') return home;
  if (const char* user = std::getenv("HOME"); user != nullptr && *user != '\0') {
    const fs::path dir = fs::path(user) / ".ember";
    if (writable_folder(dir)) return dir.string();
  }
  return "/tmp/.ember";
}

std::string get_file(const GetFileOptions& options) {
  if (options.origin.empty()) throw Error("get_file: `origin` (the URL of the file) is empty");
  if (options.archive_format != "auto" && options.archive_format != "tar" &&
      options.archive_format != "zip") {
    throw Error(cat("get_file: archive_format: expected \"auto\", \"tar\" or \"zip\", got \"",
                    options.archive_format, "\""));
  }
  const std::string algorithm =
      io::resolve_hash_algorithm(options.hash_algorithm, options.file_hash);
  std::string fname = options.fname;
  if (fname.empty()) {
    fname = name_from_url(options.origin);
    if (fname.empty()) {
      throw Error(cat("get_file: cannot take a file name from the origin \"", options.origin,
                      "\": give `fname`"));
    }
  } else if (fname.find('/') != std::string::npos || fname == "." || fname == "..") {
    throw Error(cat("get_file: fname must be a name, not a path (put the folder in cache_dir): \"",
                    fname, "\""));
  }
  fs::path base = options.cache_dir.empty() ? fs::path(ember_home()) : fs::path(options.cache_dir);
  if (!writable_folder(base)) base = "/tmp/.ember";
  const fs::path datadir = base / options.cache_subdir;
  std::error_code ec;
  fs::create_directories(datadir, ec);
  if (ec) throw IoError(cat(datadir.string(), ": cannot create the cache folder: ", ec.message()));

  // Where the file and its unpacked folder go, as Keras 3 names them.
  fs::path target = datadir / fname;
  fs::path folder;
  if (options.extract) {
    if (!options.fname.empty() && fname.find('.') != std::string::npos) {
      folder = datadir / (fname.substr(0, fname.find('.')) + "_extracted");
    } else {
      folder = datadir / fname;
      target = datadir / (fname + "_archive");
    }
  }
  bool download = options.force_download || !fs::exists(target, ec);
  if (!download && !options.file_hash.empty() &&
      !hash_matches(target.string(), options.file_hash, algorithm)) {
    std::cout << "A local file was found at " << target.string() << ", but its " << algorithm
              << " does not match " << options.file_hash << "; downloading it again." << std::endl;
    download = true;
  }
  if (download) fetch(options, target, algorithm);
  if (!options.extract) return target.string();
  if (download || !fs::is_directory(folder, ec)) unpack(options, target, folder);
  return folder.string();
}

}  // namespace ember::utils
