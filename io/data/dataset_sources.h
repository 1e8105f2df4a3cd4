// (internal) Where io::datasets finds its files: the folder the caller gives, $EMBER_DATA, then
// the cache that utils::get_file fills from Keras' own origins.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "io/data/get_file.h"
#include "io/zip.h"

namespace ember::io::datasets::sources {

/// Keras' origins: most data sets live in one Google Cloud bucket, CIFAR at its authors' site.
inline constexpr const char* kKerasBucket =
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/";
inline constexpr const char* kCifarSite = "https://www.cs.toronto.edu/~kriz/";

/// $EMBER_DATA, or "" when it is not set.
std::string environment_data_dir();

/// Where Debian's dataset packages install (dataset-fashion-mnist): /usr/share/datasets, or
/// $EMBER_SYSTEM_DATASETS when it is set ("" when it is set empty: not looked at).
std::string system_datasets_dir();

/// `base + file`, or `$EMBER_DATASETS_MIRROR + file` when that is set: a mirror (or a local
/// server) holding the same files under the same names. The hashes are checked all the same.
std::string origin(const std::string& base, const std::string& file);

/// utils::get_file(options), its IoError prefixed with the loader's name and, when not empty,
/// the other places it looked (`looked`).
std::string fetch(const std::string& loader, const utils::GetFileOptions& options,
                  const std::string& looked);

/// The path of `file` (checked against `hash` when it is downloaded): `dir/file` when `dir` is
/// given (an IoError naming it when the file is not there), else `$EMBER_DATA/<data_subdir>/file`
/// when that exists, else what utils::get_file fetches from Keras' bucket into the cache.
std::string find_or_fetch(const std::string& loader, const std::string& dir,
                          const std::string& data_subdir, const std::string& file,
                          const std::string& hash);

/// The bytes of `key`.npy in an .npz archive's entries; IoError naming the archive and what the
/// loader expects when it is missing.
std::string_view npz_member(const std::vector<ZipEntry>& entries, const std::string& key,
                            const std::string& path, const std::string& loader);

}  // namespace ember::io::datasets::sources
