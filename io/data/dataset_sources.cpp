#include "io/data/dataset_sources.h"

#include <cstdlib>

#include "core/error.h"

namespace ember::io::datasets::sources {

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
