// Logs: the named values a training loop reports (Keras' logs dict): "loss", "accuracy",
// "val_loss", ... in insertion order. Logs handed to batch callbacks are lazy: the values stay on
// the device until a callback first reads one, so a loop whose callbacks only look at epochs
// never waits for the GPU.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ember::keras {

class Logs {
 public:
  using Entry = std::pair<std::string, double>;
  using Source = std::function<std::vector<Entry>()>;

  Logs() = default;
  Logs(std::initializer_list<Entry> entries);
  explicit Logs(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  /// Values produced by `source` on first access.
  explicit Logs(Source source);

  /// Sets (or adds, at the end) a value.
  void set(const std::string& key, double value);
  /// The value of `key`; an ember::Error listing the keys when it is missing.
  double at(const std::string& key) const;
  double operator[](const std::string& key) const { return at(key); }
  /// The i-th value in order (evaluate's list: loss first, then the metrics).
  double operator[](std::size_t index) const;
  std::optional<double> get(const std::string& key) const;
  bool contains(const std::string& key) const { return get(key).has_value(); }
  std::size_t size() const { return entries().size(); }
  bool empty() const { return entries().empty(); }
  std::vector<std::string> keys() const;
  const std::vector<Entry>& entries() const;
  auto begin() const { return entries().begin(); }
  auto end() const { return entries().end(); }
  /// The same values, keys in alphabetical order (as Keras displays and records them).
  Logs sorted() const;
  /// "loss: 0.3124 - accuracy: 0.9012" (Keras' formatting of each value).
  std::string to_string() const;

 private:
  void materialize() const;
  mutable Source source_;
  mutable std::vector<Entry> entries_;
};

/// A value as Keras' progress bar prints it: 4 decimals, or scientific notation below 1e-3.
std::string format_log_value(double value);

}  // namespace ember::keras
