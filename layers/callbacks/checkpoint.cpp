// ModelCheckpoint and the Python-style formatting of its file names.
#include <cmath>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "layers/callbacks/callbacks.h"
#include "layers/models/model.h"
#include "layers/saving/keras_files.h"

namespace ember::callbacks {

// --- ModelCheckpoint
// ------------------------------------------------------------------------------------

SaveFrequency::SaveFrequency(const char* every) {
  if (std::string(every) != "epoch") {
    throw Error(cat("save_freq must be \"epoch\" or a number of batches, got \"", every, "\""));
  }
}

SaveFrequency::SaveFrequency(std::int64_t batches) : batches_(batches) {
  if (batches <= 0)
    throw Error(cat("save_freq must be a positive number of batches, got ", batches));
}

ModelCheckpoint::ModelCheckpoint(std::string filepath, ModelCheckpointOptions options)
    : MonitorCallback(options.monitor, options.mode, 0.0, "ModelCheckpoint"),
      filepath_(std::move(filepath)),
      options_(std::move(options)) {
  if (filepath_.empty()) throw Error("ModelCheckpoint: filepath is empty");
  // Say it now rather than after the first epoch of training.
  using keras::detail::FileFormat;
  if (options_.save_weights_only &&
      keras::detail::format_of(filepath_, true) == FileFormat::keras_archive) {
    throw Error(cat("ModelCheckpoint ", filepath_,
                    ": save_weights_only writes weights, but a .keras file is a ",
                    "whole model; name it .weights.h5 or .safetensors"));
  }
  best_ = options_.initial_value_threshold;
}

void ModelCheckpoint::on_epoch_begin(int epoch, Logs&) { current_epoch_ = epoch; }

void ModelCheckpoint::on_train_batch_end(std::int64_t batch, Logs& logs) {
  if (options_.save_freq.per_epoch()) return;
  if (++batches_since_save_ >= options_.save_freq.batches()) {
    batches_since_save_ = 0;
    save(current_epoch_, batch, logs);
  }
}

void ModelCheckpoint::on_epoch_end(int epoch, Logs& logs) {
  if (options_.save_freq.per_epoch()) save(epoch, std::nullopt, logs);
}

void ModelCheckpoint::save(int epoch, std::optional<std::int64_t> batch, const Logs& logs) {
  std::map<std::string, double> values;
  for (const auto& [key, value] : logs) values[key] = value;
  std::map<std::string, std::int64_t> integers{{"epoch", epoch + 1}};
  if (batch) integers["batch"] = *batch + 1;
  const std::string path = format_path(filepath_, values, integers);
  if (options_.save_best_only) {
    const std::optional<double> current = logs.get(monitor_);
    if (!current) {
      warn(cat("ModelCheckpoint: can save the best model only with ", monitor_,
               " available; saving anyway"));
    } else {
      const std::string best_text = best_ ? cat(*best_) : "None";
      if (!is_improvement(*current, best_)) {
        if (options_.verbose > 0) {
          std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " did not improve from "
                    << best_text << "\n";
        }
        return;
      }
      if (options_.verbose > 0) {
        std::cout << "\nEpoch " << epoch + 1 << ": " << monitor_ << " improved from " << best_text
                  << " to " << *current << ", saving model to " << path << "\n";
      }
      best_ = *current;
    }
  } else if (options_.verbose > 0) {
    std::cout << "\nEpoch " << epoch + 1 << ": saving model to " << path << "\n";
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      throw IoError(
          cat("ModelCheckpoint: cannot create the folder ", parent.string(), ": ", ec.message()));
  }
  using keras::detail::FileFormat;
  const FileFormat format = keras::detail::format_of(path, false);
  const bool weights_file =
      format == FileFormat::safetensors || format == FileFormat::keras3_weights;
  if (!options_.save_weights_only && !weights_file) {
    model().save(path);  // the whole model: a folder, or a .keras / .h5 file (Model::save)
  } else {
    if (std::filesystem::is_directory(path)) {
      throw IoError(cat("ModelCheckpoint: the file path is an existing folder: ", path));
    }
    const bool with_optimizer = !options_.save_weights_only && format == FileFormat::safetensors;
    model().save_weights(path, with_optimizer);
  }
  last_saved_ = path;
}

namespace {

/// Formats `value` by a Python format spec ("02d", ".2f", ">8.3e", "" ...).
std::string format_value(double value, bool integer, const std::string& spec,
                         const std::string& field) {
  std::size_t i = 0;
  char fill = ' ', align = 0;
  const auto is_align = [](char c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (spec.size() >= 2 && is_align(spec[1])) {
    fill = spec[0];
    align = spec[1];
    i = 2;
  } else if (!spec.empty() && is_align(spec[0])) {
    align = spec[0];
    i = 1;
  }
  std::string sign;
  if (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) sign = spec[i++];
  bool zero = false;
  if (i < spec.size() && spec[i] == '0') {
    zero = true;
    ++i;
  }
  std::size_t width = 0;
  while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
    width = width * 10 + (spec[i++] - '0');
  int precision = -1;
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    precision = 0;
    while (i < spec.size() && std::isdigit(static_cast<unsigned char>(spec[i])))
      precision = precision * 10 + (spec[i++] - '0');
  }
  char type = i < spec.size() ? spec[i++] : 0;
  if (i != spec.size() || (type && std::string("dfFeEgG%").find(type) == std::string::npos)) {
    throw Error(cat("ModelCheckpoint: cannot format {", field, ":", spec, "}"));
  }
  std::string text;
  char buffer[128];
  if (type == 'd') {
    if (!integer && value != std::floor(value)) {
      throw Error(cat("ModelCheckpoint: {", field, ":", spec, "} needs an integer, got ", value));
    }
    std::snprintf(buffer, sizeof buffer,
                  (sign == "+"   ? "%+lld"
                   : sign == " " ? "% lld"
                                 : "%lld"),
                  static_cast<long long>(value));
    text = buffer;
  } else if (type == 0 && integer) {
    text = std::to_string(static_cast<long long>(value));
  } else if (type == 0 && precision < 0) {
    text = cat(value);  // Python's repr-like shortest form
  } else {
    const char conv = type == 0 ? 'g' : (type == '%' ? 'f' : type);
    const double v = type == '%' ? value * 100 : value;
    const std::string format =
        "%" + sign + "." + std::to_string(precision < 0 ? 6 : precision) + conv;
    std::snprintf(buffer, sizeof buffer, format.c_str(), v);
    text = buffer;
    if (type == '%') text += "%";
  }
  if (text.size() < width) {
    const std::size_t pad = width - text.size();
    if (zero && !align) {
      const std::size_t digits_start =
          (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
      text.insert(digits_start, pad, '0');
    } else if (align == '<') {
      text.append(pad, fill);
    } else if (align == '^') {
      text = std::string(pad / 2, fill) + text + std::string(pad - pad / 2, fill);
    } else {
      text.insert(0, pad, fill);  // numbers align right by default
    }
  }
  return text;
}

}  // namespace

std::string format_path(const std::string& filepath, const std::map<std::string, double>& values,
                        const std::map<std::string, std::int64_t>& integers) {
  std::string out;
  for (std::size_t i = 0; i < filepath.size(); ++i) {
    const char c = filepath[i];
    if (c == '{' && i + 1 < filepath.size() && filepath[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    if (c == '}' && i + 1 < filepath.size() && filepath[i + 1] == '}') {
      out += '}';
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = filepath.find('}', i);
    if (close == std::string::npos)
      throw Error(cat("ModelCheckpoint: unmatched '{' in \"", filepath, "\""));
    const std::string field = filepath.substr(i + 1, close - i - 1);
    const std::size_t colon = field.find(':');
    const std::string key = field.substr(0, colon);
    const std::string spec = colon == std::string::npos ? "" : field.substr(colon + 1);
    if (auto it = integers.find(key); it != integers.end()) {
      out += format_value(static_cast<double>(it->second), true, spec, key);
    } else if (auto jt = values.find(key); jt != values.end()) {
      out += format_value(jt->second, false, spec, key);
    } else {
      std::string known = "epoch";
      for (const auto& [k, v] : values) known += ", " + k;
      throw Error(cat("ModelCheckpoint: failed to format the file path \"", filepath,
                      "\": no value '", key, "'; available: ", known));
    }
    i = close;
  }
  return out;
}

}  // namespace ember::callbacks
