// H5Group's path lookups and attribute readers (io/hdf5.h): plain tree walking, the same with or
// without libhdf5.
#include <algorithm>

#include "core/error.h"
#include "io/hdf5.h"

namespace ember::io {

namespace {

/// "a/b/c" as {"a", "b", "c"}, skipping empty parts (a leading or doubled '/').
std::vector<std::string> path_parts(std::string_view path) {
  // A loop rather than std::views::split: clang 14 (the fuzz build) cannot compile libstdc++ 12's
  // <ranges>.
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= path.size()) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    if (end > begin) parts.emplace_back(path.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

}  // namespace

const H5Group* H5Group::find_group(std::string_view path) const {
  const H5Group* at = this;
  for (const std::string& part : path_parts(path)) {
    const auto it = at->groups.find(part);
    if (it == at->groups.end()) return nullptr;
    at = &it->second;
  }
  return at;
}

const Tensor* H5Group::find_dataset(std::string_view path) const {
  std::vector<std::string> parts = path_parts(path);
  if (parts.empty()) return nullptr;
  const std::string leaf = parts.back();
  parts.pop_back();
  const H5Group* at = this;
  for (const std::string& part : parts) {
    const auto it = at->groups.find(part);
    if (it == at->groups.end()) return nullptr;
    at = &it->second;
  }
  const auto it = at->datasets.find(leaf);
  return it == at->datasets.end() ? nullptr : &it->second;
}

H5Group& H5Group::group(std::string_view path) {
  H5Group* at = this;
  for (const std::string& part : path_parts(path)) at = &at->groups[part];
  return *at;
}

void H5Group::set_dataset(std::string_view path, const Tensor& value) {
  std::vector<std::string> parts = path_parts(path);
  if (parts.empty()) throw Error("H5Group::set_dataset: empty dataset path");
  const std::string leaf = parts.back();
  parts.pop_back();
  H5Group* at = this;
  for (const std::string& part : parts) at = &at->groups[part];
  at->datasets.insert_or_assign(leaf, value);
}

std::string H5Group::string_attribute(const std::string& name, const std::string& file) const {
  const auto it = attributes.find(name);
  if (it == attributes.end()) throw IoError(cat(file, ": no attribute \"", name, "\""));
  if (const auto* text = std::get_if<std::string>(&it->second)) return *text;
  const auto& list = std::get<std::vector<std::string>>(it->second);
  if (list.size() == 1) return list[0];
  throw IoError(cat(file, ": attribute \"", name, "\" is a list of ", list.size(),
                    " strings, expected one string"));
}

std::vector<std::string> H5Group::list_attribute(const std::string& name,
                                                 const std::string& file) const {
  if (const auto it = attributes.find(name); it != attributes.end()) {
    if (const auto* list = std::get_if<std::vector<std::string>>(&it->second)) return *list;
    return {std::get<std::string>(it->second)};
  }
  // Keras' save_attributes_to_hdf5_group splits a list that would pass HDF5's object-header
  // limit into name0, name1, ...
  std::vector<std::string> joined;
  bool found = false;
  for (int chunk = 0;; ++chunk) {
    const auto it = attributes.find(name + std::to_string(chunk));
    if (it == attributes.end()) break;
    found = true;
    if (const auto* list = std::get_if<std::vector<std::string>>(&it->second)) {
      joined.insert(joined.end(), list->begin(), list->end());
    } else {
      joined.push_back(std::get<std::string>(it->second));
    }
  }
  if (!found) throw IoError(cat(file, ": no attribute \"", name, "\""));
  return joined;
}

}  // namespace ember::io
