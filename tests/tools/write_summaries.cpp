// Writes the event files that tests/golden/make_tensorboard_golden.py reads with TensorBoard's
// own reader: <dir>/summaries (the summaries of its TensorFlow fixture, written by ember) and
// <dir>/fit (a 2-epoch fit with callbacks::TensorBoard).
#include <iostream>

#include "ember.h"

using namespace ember;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: ember_write_summaries <dir>\n";
    return 2;
  }
  const std::string dir = argv[1];
  {
    auto writer = summary::create_file_writer(dir + "/summaries");
    auto scope = writer.as_default();
    summary::scalar("loss", 0.25, 3);
    summary::histogram("w", constant({1.0f, 2.0f, 2.5f, 4.0f}), 3, 3);
    summary::histogram("one", constant({7.0f, 7.0f}), 4, 2);
    summary::image("img", fill({1, 2, 3, 1}, 0.5f), 3);
    summary::text("note", "hello", 3);
    writer.close();
  }
  random::set_seed(3);
  keras::Sequential model(
      {keras::Input({2}), layers::Dense(2, _activation = "relu"), layers::Dense(1)});
  model.compile(_optimizer = "sgd", _loss = "mse");
  const Tensor x = constant({{0.0f, 1.0f}, {1.0f, 0.0f}, {1.0f, 1.0f}, {0.5f, 0.5f}});
  const Tensor y = constant({{1.0f}, {1.0f}, {0.0f}, {0.5f}});
  const auto history = model.fit(
      x, y, _epochs = 2, _batch_size = 2, _shuffle = false, _verbose = 0, _validation_data = {x, y},
      _callbacks = {callbacks::TensorBoard(dir + "/fit", _histogram_freq = 1)});
  std::cout.precision(17);
  for (const char* key : {"loss", "val_loss"})
    for (const double v : history[key]) std::cout << key << " " << v << "\n";
  return 0;
}
