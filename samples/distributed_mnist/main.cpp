// Data-parallel training over several processes, as tf.distribute.MultiWorkerMirroredStrategy:
// the Keras MNIST MLP (784-128-10, Adam, batches of 64 global rows) fitted by every worker on its
// share of each global batch, the gradients summed over the workers while the backward pass
// runs. Started alone it is one worker; under mpirun, one worker per process:
//
//   distributed_mnist [--epochs N] [--rows N] [--mnist]                      one process
//   mpirun -np 2 --oversubscribe --mca btl self,tcp distributed_mnist ...   two workers
//
// Every worker prints nothing but the chief (rank 0), which prints the progress, the test
// accuracy and the final weights' checksum: they equal the single-process run's (to float32
// rounding), since both train on the same global batches from the same initial weights. On
// Fashion-MNIST (installed by scripts/setup-deps); MNIST itself with --mnist when EMBER_DATA has
// it. See docs/distributed.md.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>

#include "ember.h"

using namespace ember;

int main(int argc, char** argv) {
  int epochs = 2;
  std::int64_t rows = 60000;
  bool mnist = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--epochs") && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--rows") && i + 1 < argc) {
      rows = std::atoll(argv[++i]);
    } else if (!std::strcmp(argv[i], "--mnist")) {
      mnist = true;
    } else {
      std::cerr << "usage: distributed_mnist [--epochs N] [--rows N] [--mnist]\n";
      return 2;
    }
  }
  try {
    distribute::MultiWorkerMirroredStrategy strategy;
    auto [train, test] =
        mnist ? io::datasets::mnist::load_data() : io::datasets::fashion_mnist::load_data();
    const Tensor x_train = reshape(cast(train.first, float32) / 255.0f, {-1, 28 * 28});
    const Tensor x_test = reshape(cast(test.first, float32) / 255.0f, {-1, 28 * 28});
    rows = std::min(rows, x_train.shape(0));

    random::set_seed(1);  // rank 0's initial weights and shuffles are everyone's
    std::shared_ptr<keras::Sequential> model;
    {
      const auto scope = strategy.scope();  // Python: with strategy.scope():
      model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
          keras::Input({28 * 28}), layers::Dense(128, _activation = "relu"),
          layers::Dense(10, _activation = "softmax")});
      model->compile(_optimizer = optim::Adam(_learning_rate = 0.001),
                     _loss = "sparse_categorical_crossentropy", _metrics = {"accuracy"});
    }
    if (strategy.is_chief()) {
      std::cout << strategy.class_name() << ": " << strategy.num_replicas_in_sync()
                << " replica(s) over " << strategy.communicator().name() << "\n";
    }
    const auto start = std::chrono::steady_clock::now();
    // batch_size is global, as in Keras: each of the replicas takes 64 / replicas rows of it.
    model->fit(x_train.slice(0, rows), train.second.slice(0, rows), _batch_size = 64,
               _epochs = epochs, _verbose = 2);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const keras::Logs logs = model->evaluate(x_test, test.second, _verbose = 0);
    double checksum = 0;
    for (const Variable& v : model->weights()) checksum += reduce_sum(abs(v.value())).item<float>();
    if (strategy.is_chief()) {
      std::cout << std::fixed << std::setprecision(4) << "test accuracy " << logs["accuracy"]
                << ", weights checksum " << std::setprecision(3) << checksum << ", fit took "
                << std::setprecision(1) << seconds << " s\n";
    }
    return 0;
  } catch (const Error& e) {
    std::cerr << "distributed_mnist: " << e.what() << "\n";
    return 1;
  }
}
