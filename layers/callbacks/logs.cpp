#include "layers/callbacks/logs.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"

namespace ember::keras {

Logs::Logs(std::initializer_list<Entry> entries) : entries_(entries) {}

Logs::Logs(Source source) : source_(std::move(source)) {}

void Logs::materialize() const {
  if (!source_) return;
  Source source = std::move(source_);
  source_ = nullptr;
  std::vector<Entry> produced = source();
  // Values set before the first read come after the produced ones.
  for (Entry& e : entries_) produced.push_back(std::move(e));
  entries_ = std::move(produced);
}

const std::vector<Logs::Entry>& Logs::entries() const {
  materialize();
  return entries_;
}

void Logs::set(const std::string& key, double value) {
  materialize();
  for (Entry& e : entries_) {
    if (e.first == key) {
      e.second = value;
      return;
    }
  }
  entries_.emplace_back(key, value);
}

std::optional<double> Logs::get(const std::string& key) const {
  for (const Entry& e : entries()) {
    if (e.first == key) return e.second;
  }
  return std::nullopt;
}

double Logs::at(const std::string& key) const {
  if (auto value = get(key)) return *value;
  std::string known;
  for (const Entry& e : entries()) known += (known.empty() ? "" : ", ") + e.first;
  throw Error(
      cat("logs have no value '", key, "'; they hold: ", known.empty() ? "nothing" : known));
}

double Logs::operator[](std::size_t index) const {
  if (index >= size())
    throw Error(cat("logs: index ", index, " is out of range for ", size(), " values"));
  return entries()[index].second;
}

std::vector<std::string> Logs::keys() const {
  std::vector<std::string> out;
  for (const Entry& e : entries()) out.push_back(e.first);
  return out;
}

Logs Logs::sorted() const {
  Logs out;
  out.entries_ = entries();
  std::stable_sort(out.entries_.begin(), out.entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.first < b.first; });
  return out;
}

std::string format_log_value(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, std::fabs(value) > 1e-3 ? "%.4f" : "%.4e", value);
  return buffer;
}

std::string Logs::to_string() const {
  std::string out;
  for (const Entry& e : entries())
    out += (out.empty() ? "" : " - ") + e.first + ": " + format_log_value(e.second);
  return out;
}

}  // namespace ember::keras
