#include "io/data/dataset_sources.h"

#include <cstdlib>
#include <filesystem>

#include "core/error.h"

namespace ember::io::datasets::sources {

namespace fs = std::filesystem;

std::string environment_data_dir() {
  const char* value = std::getenv("EMBER_DATA");
  return value != nullptr ? value : "";
}

std::string system_datasets_dir() {
  const char* value = std::getenv("EMBER_SYSTEM_DATASETS");
  return value != nullptr ? value : "/usr/share/datasets";
}

std::string origin(const std::string& base, const std::string& file) {
  const char* mirror = std::getenv("EMBER_DATASETS_MIRROR");
  if (mirror == nullptr || *mirror == '\0') return base + file;
  std::string prefix = mirror;
  if (prefix.back() != '/') prefix += '/';
  return prefix + file;
}

std::string fetch(const std::string& loader, const utils::GetFileOptions& options,
                  const std::string& looked) {
  try {
    return utils::get_file(options);
  } catch (const IoError& e) {
    throw IoError(cat(loader, ": ", looked.empty() ? "" : "not in " + looked + "; ", e.what()));
  }
}

std::string find_or_fetch(const std::string& loader, const std::string& dir,
                          const std::string& data_subdir, const std::string& file,
                          const std::string& hash) {
  std::error_code ec;
  if (!dir.empty()) {
    const fs::path path = fs::path(dir) / file;
    if (fs::is_regular_file(path, ec)) return path.string();
    throw IoError(cat(loader, ": no ", file, " in ", dir,
                      " (put Keras' file there, or leave the folder out to download it)"));
  }
  std::string looked;
  if (const std::string base = environment_data_dir(); !base.empty()) {
    const fs::path path = fs::path(base) / data_subdir / file;
    if (fs::is_regular_file(path, ec)) return path.string();
    looked = cat(path.string(), " (no such file)");
  }
  utils::GetFileOptions get;
  get.fname = file;
  get.origin = origin(kKerasBucket, file);
  get.file_hash = hash;
  return fetch(loader, get, looked);
}

std::string_view npz_member(const std::vector<ZipEntry>& entries, const std::string& key,
                            const std::string& path, const std::string& loader) {
  for (const ZipEntry& entry : entries) {
    if (entry.name == key + ".npy") return entry.data;
  }
  std::string held;
  for (const ZipEntry& entry : entries) held += cat(held.empty() ? "" : ", ", entry.name);
  throw IoError(cat(path, ": no ", key, ".npy in the archive (", loader,
                    " reads it; the archive holds ", held.empty() ? "nothing" : held, ")"));
}

}  // namespace ember::io::datasets::sources
