// The process the crash-safe-saving test kills (tests/layers/saving/test_crash_safe_saving.cpp):
// it builds a small compiled model whose every weight is `generation`, stops itself (SIGSTOP) so
// that its killer can start counting or timing at the save, then saves, and exits 0.
//
//   ember_save_child model|weights <path> <generation> [renames]
//
// model: Model::save (a folder, .keras or .h5); weights: Model::save_weights (.safetensors,
// .weights.h5). renames: the folder swap's two-rename fallback instead of the atomic exchange.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "ember.h"
#include "io/atomic_file.h"

int main(int argc, char** argv) {
  using namespace ember;
  if (argc < 4) {
    std::cerr << "usage: ember_save_child model|weights <path> <generation> [renames]\n";
    return 2;
  }
  const std::string kind = argv[1], path = argv[2];
  const float generation = std::stof(argv[3]);
  if (argc > 4 && std::string(argv[4]) == "renames") io::allow_folder_exchange(false);
  try {
    keras::Sequential model({keras::Input({4}), layers::Dense(3)});
    model.compile(_optimizer = "adam", _loss = "mse");
    std::vector<Tensor> values;
    for (const Variable& weight : model.weights())
      values.push_back(fill(weight.shape(), generation));
    model.set_weights(values);
    std::raise(SIGSTOP);
    if (kind == "model")
      model.save(path);
    else
      model.save_weights(path, /*include_optimizer=*/true);
  } catch (const std::exception& e) {
    std::cerr << "ember_save_child: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
