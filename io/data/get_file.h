// keras.utils.get_file: fetch a file once, check it against its published hash, keep it in a
// cache, and unpack it when it is an archive. What io::datasets downloads with.
#pragma once

#include <cstdint>
#include <string>

namespace ember::utils {

/// get_file's arguments, in Keras' order (less its deprecated `untar` and `md5_hash`), so a call
/// reads like Keras': `utils::get_file({.fname = "mnist.npz", .origin = url, .file_hash = h})`.
struct GetFileOptions {
  /// The name in the cache; by default the last part of `origin`'s path. With `extract`, a name
  /// without a dot names the extracted folder, and one with a dot the archive (the folder is then
  /// `<name up to its first dot>_extracted`), as in Keras 3. No '/' allowed.
  std::string fname{};
  /// The URL: http, https or file. Redirects are followed to http and https only.
  std::string origin{};
  /// The expected SHA-256 (64 hex digits) or MD5 (32) of the file; empty skips the check.
  std::string file_hash{};
  /// The folder under `cache_dir`; an absolute path is used as it is.
  std::string cache_subdir = "datasets";
  /// "auto" (by the hash's length), "sha256" or "md5".
  std::string hash_algorithm = "auto";
  /// Unpack the archive (.tar, .tar.gz, .tar.bz2, .tar.xz, .zip) and return its folder.
  bool extract = false;
  /// "auto" (tar or zip, by the file's first bytes), "tar" or "zip".
  std::string archive_format = "auto";
  /// The cache; empty means ember_home(): `$EMBER_HOME`, else `~/.ember` (`/tmp/.ember` when
  /// that cannot be written), as Keras uses `$KERAS_HOME` and `~/.keras`.
  std::string cache_dir{};
  /// Download even when the cache holds a good copy.
  bool force_download = false;

  // ember's own knobs, beyond Keras'.
  /// Seconds to wait for the connection, and without any data, before giving up.
  long connect_timeout_s = 30;
  long idle_timeout_s = 60;
  /// The most bytes an archive may unpack to (beyond it: an error, and nothing kept).
  std::uint64_t max_extracted_bytes = std::uint64_t{32} << 30;
};

/// The path of the cached file, or with `extract` of the folder it unpacked to, downloading it
/// first when the cache has no copy, or a copy whose hash does not match. The download goes to a
/// temporary file in the cache folder, renamed into place only once complete and matching its
/// hash; an archive is unpacked into a temporary folder renamed into place once whole. So an
/// interrupted or corrupt download never leaves anything a later call trusts. A progress bar is
/// drawn when standard error is a terminal.
/// Throws IoError naming the URL and why (DNS, HTTP status, timeout, a transfer cut short, a
/// hash mismatch with both hashes), the path where the file can be put by hand and its hash; and
/// for an archive that is damaged, hostile (entries leaving the folder, links pointing out of it,
/// devices) or larger than `max_extracted_bytes`. ember::Error for bad arguments.
std::string get_file(const GetFileOptions& options);

/// `$EMBER_HOME`, else `~/.ember`; `/tmp/.ember` when that cannot be created or written.
std::string ember_home();

}  // namespace ember::utils
