// The fuzz targets; see fuzz_targets.h. Readers that take a path get the bytes in a file of the
// right extension under a per-process scratch folder (in /dev/shm where there is one).
#include "fuzz/fuzz_targets.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ember.h"
#include "io/hdf5.h"
#include "io/idx.h"
#include "io/npy.h"
#include "io/pickle.h"
#include "io/png.h"
#include "io/safetensors.h"
#include "io/summary/event_reader.h"
#include "io/zip.h"

namespace ember::fuzz {

namespace {

namespace fs = std::filesystem;

/// `bytes` written to "<scratch>/input<extension>"; the path.
std::string as_file(std::string_view bytes, const std::string& extension) {
  static const fs::path scratch = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path dir = base / ("ember_fuzz_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  const fs::path path = scratch / ("input" + extension);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

/// A small compiled model to load weight files into (built once).
keras::Model& weights_model() {
  static keras::Handle<keras::Sequential> model = [] {
    auto m = keras::make<keras::Sequential>(std::vector<keras::SequentialItem>{
        keras::Input({4}), layers::Dense(3, _activation = "relu"), layers::Dense(2)});
    m->compile(_optimizer = "adam", _loss = "mse");
    return m;
  }();
  return *model;
}

void fuzz_npy(std::string_view bytes) { io::parse_npy(bytes, "fuzz.npy"); }

void fuzz_safetensors(std::string_view bytes) {
  io::load_safetensors(as_file(bytes, ".safetensors"));
}

void fuzz_idx(std::string_view bytes) { io::load_idx(as_file(bytes, ".idx")); }

/// CIFAR's python batches: a restricted unpickler, then every array found made a tensor.
void fuzz_cifar_pickle(std::string_view bytes) {
  const io::PickleValue value = io::read_pickle(bytes, "fuzz.pkl");
  if (value.kind != io::PickleValue::Kind::dict) return;
  for (std::size_t i = 1; i < value.items.size(); i += 2)
    if (value.items[i].kind == io::PickleValue::Kind::ndarray)
      io::pickle_array_to_tensor(value.items[i], "fuzz.pkl");
}

void fuzz_zip(std::string_view bytes) { io::read_zip(as_file(bytes, ".zip")); }

void fuzz_model_config(std::string_view bytes) { keras::model_from_json(std::string(bytes)); }

void fuzz_keras_archive(std::string_view bytes) { keras::load_model(as_file(bytes, ".keras")); }

void fuzz_h5_model(std::string_view bytes) { keras::load_model(as_file(bytes, ".h5")); }

void fuzz_weights(std::string_view bytes) {
  weights_model().load_weights(as_file(bytes, ".safetensors"));
}

void fuzz_keras_weights(std::string_view bytes) {
  weights_model().load_weights(as_file(bytes, ".weights.h5"));
}

/// TensorBoard event files, and the PNG images their image summaries hold.
void fuzz_tfevents(std::string_view bytes) {
  for (const auto& event : summary::parse_events(std::string(bytes), "fuzz.tfevents"))
    for (const auto& value : event.values)
      if (value.plugin_name == "images" && value.tensor.strings.size() > 2 && io::png_available())
        io::decode_png(value.tensor.strings[2], "fuzz.tfevents image");
}

void fuzz_png(std::string_view bytes) { io::decode_png(std::string(bytes), "fuzz.png"); }

}  // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"npy", fuzz_npy},
      {"safetensors", fuzz_safetensors},
      {"idx", fuzz_idx},
      {"cifar_pickle", fuzz_cifar_pickle},
      {"zip", fuzz_zip},
      {"model_config", fuzz_model_config},
      {"keras_archive", fuzz_keras_archive},
      {"h5_model", fuzz_h5_model},
      {"weights", fuzz_weights},
      {"keras_weights", fuzz_keras_weights},
      {"tfevents", fuzz_tfevents},
      {"png", fuzz_png},
  };
  return all;
}

const Target* find_target(std::string_view name) {
  for (const Target& target : targets())
    if (name == target.name) return &target;
  return nullptr;
}

bool run_one(const Target& target, std::string_view bytes) {
  // A file that hangs libhdf5 is stopped by the HDF5 wall's timeout: shorter here than libFuzzer's
  // (10 s), so that it shows as the IoError a user gets, not as a finding.
  static const bool short_hdf5_timeout = [] {
    io::set_hdf5_reader({.timeout_seconds = 2, .timeout_seconds_per_gigabyte = 0});
    return true;
  }();
  (void)short_hdf5_timeout;
  try {
    target.run(bytes);
    return true;
  } catch (const Error&) {
    return false;  // a refusal: what a hostile file should get
  }
}

}  // namespace ember::fuzz
