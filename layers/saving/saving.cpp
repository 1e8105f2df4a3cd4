// Model::save, load_model and model_from_json (see saving.h). A save writes a complete folder
// beside the target and swaps it into place (io/atomic_file.h), so a kill, a crash or a full
// disk at any instant leaves the old model or the new one at the path, never a half or none.
#include "layers/saving/saving.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "io/atomic_file.h"
#include "layers/saving/compile_config.h"
#include "layers/saving/keras_files.h"
#include "layers/trainers/compiled_state.h"

namespace ember::keras {

namespace fs = std::filesystem;

namespace {

constexpr const char* kConfigFile = "config.json";
constexpr const char* kWeightsFile = "model.safetensors";
constexpr const char* kFormat = "ember.model";
constexpr int kFormatVersion = 1;

/// Creates a subclassed model's weights the way its first call did: by calling it, here on zeros
/// of the saved input shapes (unknown sizes as 1), in inference mode and untaped.
void build_from_config(Model& model, const Config& build_config) {
  if (model.built() || !build_config.is_object() || !build_config.contains("input_shape")) return;
  const Config& input_shape = build_config["input_shape"];
  std::vector<Shape> shapes;
  if (!input_shape.empty() && input_shape[0].is_array()) {
    for (const Config& s : input_shape) shapes.push_back(shape_from_json(s));
  } else {
    shapes.push_back(shape_from_json(input_shape));
  }
  std::vector<Tensor> zeros_in;
  for (const Shape& shape : shapes) {
    std::vector<std::int64_t> dims(shape.dims().begin(), shape.dims().end());
    for (std::int64_t& d : dims) d = d < 0 ? 1 : d;
    zeros_in.push_back(zeros(Shape(dims)));
  }
  const autodiff::PauseAll untaped;
  if (zeros_in.size() == 1)
    model(zeros_in[0], false);
  else
    model(zeros_in, false);
}

Handle<Model> rebuild_model(const Config& serialized, const std::string& where) {
  LayerHandle layer = layer_from_config(serialized);
  auto model = std::dynamic_pointer_cast<Model>(layer.shared());
  if (!model) {
    throw Error(
        cat(where, ": the config describes a ", layer->class_name(), " layer, not a model"));
  }
  build_from_config(*model, serialized.value("build_config", Config()));
  return Handle<Model>(model);
}

/// What a staged or moved-aside folder holds when it is a whole saved model (see Model::save's
/// order: the config is written last).
const std::vector<std::string> kCompleteSave = {kConfigFile, kWeightsFile};

/// Whether `folder` looks like what Model::save writes (so replacing it loses nothing else).
bool is_saved_model(const fs::path& folder) {
  std::error_code ec;
  return fs::is_directory(folder, ec) &&
         (fs::exists(folder / kConfigFile, ec) || fs::is_empty(folder, ec));
}

}  // namespace

Handle<Model> detail::model_from_serialized(const Config& serialized, const std::string& where) {
  try {
    return rebuild_model(serialized, where);
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat(where, ": malformed config: ", e.what()));
  }
}

void detail::compile_from_config(Model& model, const Config& compile_config,
                                 const LoadOptions& options, const std::string& where) {
  if (!options.compile || !compile_config.is_object()) return;
  try {
    model.compile(compile_options_from_config(compile_config));
  } catch (const Error& e) {
    throw Error(cat(where, ": ", e.what()));
  }
}

void Model::save(const std::string& path, SaveOptions options) const {
  const detail::FileFormat format = detail::format_of(path, false);
  if (format == detail::FileFormat::keras3_weights || format == detail::FileFormat::safetensors) {
    throw Error(cat("save ", path,
                    ": a weights file name; save the weights alone with save_weights, or give ",
                    "save() a folder, a .keras or a .h5 path"));
  }
  if (weights().empty() && !built()) {
    throw Error(cat("save ", path, ": model '", name(),
                    "' has no weights yet; call it once on data (or give it ",
                    "an input shape) before saving"));
  }
  Config top = serialize_layer(*this);
  top["build_config"] = build_config();
  top["compile_config"] = nullptr;
  if (compiled_) {
    try {
      top["compile_config"] = compiled_->saved_config();
    } catch (const Error& e) {
      // Keras does the same: the model is saved, uncompiled, and the reason is told.
      warn(cat(
          "save ", path,
          ": compile() arguments not saved, the loaded model must be compiled again: ", e.what()));
    }
  }
  top["ember"] = {{"format", kFormat}, {"version", kFormatVersion}};
  if (format == detail::FileFormat::h5_model)
    return detail::save_h5_model(*this, path, top, options);
  if (format == detail::FileFormat::keras_archive)
    return detail::save_keras_archive(*this, path, top, options);

  const fs::path target(path);
  io::recover_folder(target, kCompleteSave);  // a save killed between its two renames
  std::error_code ec;
  if (fs::exists(target, ec)) {
    if (!options.overwrite)
      throw IoError(
          cat("save ", path, ": the folder exists (pass .overwrite = true to replace it)"));
    if (!is_saved_model(target)) {
      throw IoError(
          cat("save ", path, ": exists and is not a saved model folder; not replacing it"));
    }
  }
  try {
    // The weights first, the config last: a staged folder with a config is complete, which is
    // what recover_folder looks for.
    io::write_folder_atomically(target, [&](const fs::path& staging) {
      save_weights((staging / kWeightsFile).string(), options.include_optimizer);
      io::write_atomically((staging / kConfigFile).string(),
                           [&](std::ostream& out) { out << top.dump(1) << "\n"; });
    });
  } catch (const IoError& e) {
    throw IoError(cat("save ", e.what()));
  }
}

namespace {

/// Runs a loader so that only ember::Error subclasses leave it, whatever the file holds: a JSON
/// value of the wrong type, a missing key, a list too long for what reads it.
template <class F>
auto loading(const std::string& what, F&& load) {
  try {
    return load();
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw ResourceExhaustedError(cat(what, ": out of memory while loading"));
  } catch (const std::exception& e) {
    throw IoError(cat(what, ": malformed model file (", e.what(), ")"));
  }
}

Handle<Model> load_model_unguarded(const std::string& path, const LoadOptions& options) {
  switch (detail::format_of(path, false)) {
    case detail::FileFormat::h5_model:
      return detail::load_h5_model(path, options);
    case detail::FileFormat::keras_archive:
      return detail::load_keras_archive(path, options);
    case detail::FileFormat::folder:
      break;
    default:
      throw Error(cat("load_model ", path,
                      ": a weights file; load it into a built model with load_weights"));
  }
  const fs::path folder(path);
  io::recover_folder(folder, kCompleteSave);  // a save killed between its two renames
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw IoError(cat("load_model ", path, ": no such folder"));
  const fs::path config_path = folder / kConfigFile;
  std::ifstream in(config_path);
  if (!in)
    throw IoError(
        cat("load_model ", path, ": no ", kConfigFile, " (not a folder written by Model::save)"));
  Config top;
  try {
    top = Config::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw IoError(cat("load_model ", config_path.string(), ": malformed JSON: ", e.what()));
  }
  if (!top.is_object() || !top.contains("class_name")) {
    throw IoError(cat("load_model ", config_path.string(),
                      ": expected {\"class_name\": ..., \"config\": ...}"));
  }
  const Config format = top.value("ember", Config::object());
  if (format.value("version", kFormatVersion) > kFormatVersion) {
    throw IoError(cat("load_model ", path, ": saved by a newer ember (format version ",
                      format["version"].dump(), ", this one reads ", kFormatVersion, ")"));
  }
  const CustomObjectScope scope(options.custom_objects);
  Handle<Model> model = detail::model_from_serialized(top, cat("load_model ", path));
  detail::compile_from_config(*model, top.value("compile_config", Config()), options,
                              cat("load_model ", path));
  model->load_weights((folder / kWeightsFile).string());
  return model;
}

}  // namespace

Handle<Model> load_model(const std::string& path, LoadOptions options) {
  return loading(cat("load_model ", path), [&] { return load_model_unguarded(path, options); });
}

Handle<Model> model_from_json(const std::string& json, const CustomObjects& custom_objects) {
  Config serialized;
  try {
    serialized = Config::parse(json);
  } catch (const nlohmann::json::exception& e) {
    throw Error(cat("model_from_json: malformed JSON: ", e.what()));
  }
  const CustomObjectScope scope(custom_objects);
  return loading("model_from_json",
                 [&] { return detail::model_from_serialized(serialized, "model_from_json"); });
}

}  // namespace ember::keras
