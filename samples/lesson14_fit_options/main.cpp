// Lesson 14: fit's options on Fashion-MNIST — validation_split (the last rows, before shuffling),
// validation_data, a Dataset (its own batches and order), steps_per_epoch (batches drawn in turn
// across epochs), class_weight and sample_weight, a Sequence with on_epoch_end (the lesson's
// DigitsLimit), EarlyStopping, TerminateOnNaN, a custom callback, the History, and
// BackupAndRestore resuming a fit that was interrupted.
//
//   lesson14_fit_options [--rows N]
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "ember.h"

using namespace ember;

// The lesson's DigitsLimit: batches of the first max_len rows only; reshuffled after every epoch.
struct DigitsLimit : Sequence {
  Tensor x, y;
  std::int64_t batch_size;
  int epochs_seen = 0;
  DigitsLimit(Tensor x_all, Tensor y_all, std::int64_t batch_size, std::int64_t max_len = -1)
      : x(max_len < 0 ? x_all : x_all.slice(0, max_len)),
        y(max_len < 0 ? y_all : y_all.slice(0, max_len)),
        batch_size(batch_size) {}
  std::int64_t size() const override { return (x.shape(0) + batch_size - 1) / batch_size; }
  std::vector<Tensor> get(std::int64_t idx) override {
    const std::int64_t end = std::min(x.shape(0), (idx + 1) * batch_size);
    return {x.slice(idx * batch_size, end), y.slice(idx * batch_size, end)};
  }
  void on_epoch_end() override {
    ++epochs_seen;
    const Tensor order = random::shuffle(range(Scalar(x.shape(0))));
    x = gather(x, order);
    y = gather(y, order);
  }
};

// A callback of our own: prints the epoch's validation accuracy in percent.
struct PrintValidation : callbacks::Callback {
  void on_epoch_end(int epoch, keras::Logs& logs) override {
    if (auto acc = logs.get("val_accuracy"))
      std::cout << "  [callback] epoch " << epoch + 1 << ": " << *acc * 100 << " %\n";
  }
};

// A fresh model per experiment: a model is returned by value, as Keras' functions return one.
keras::Sequential make_model() {
  return keras::Sequential({keras::Input({784}), layers::Dense(64, _activation = "relu"),
                            layers::Dense(10, _activation = "softmax")});
}

// Runs one experiment: a title, then `fit` on a freshly made and compiled model.
template <class Fit>
void experiment(const std::string& title, const Fit& fit) {
  std::cout << "\n== " << title << "\n";
  keras::Sequential model = make_model();
  model.compile(_optimizer = "adam", _loss = "categorical_crossentropy", _metrics = {"accuracy"});
  fit(model);
}

void print_history(const keras::History& history) {
  for (const auto& [key, values] : history.history) {
    std::cout << "  " << key << ":";
    for (double v : values) std::cout << " " << v;
    std::cout << "\n";
  }
}

int main(int argc, char** argv) {
  std::int64_t rows = 12000;  // a subset keeps the sample quick on a laptop CPU
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--rows") == 0) rows = std::atoll(argv[++i]);
  }
  std::cout << "device: " << default_device() << "\n";
  random::set_seed(1);
  auto [train, test] = io::datasets::fashion_mnist::load_data();
  const Tensor x_all = reshape(utils::rescale(train.first, 1.0 / 255), {-1, 784}).slice(0, rows);
  const Tensor y_all = utils::to_categorical(train.second, 10).slice(0, rows);
  const Tensor x_test = reshape(utils::rescale(test.first, 1.0 / 255), {-1, 784});
  const Tensor y_test = utils::to_categorical(test.second, 10);
  const auto logs = std::filesystem::weakly_canonical(argv[0]).parent_path() / "logs" / "lesson14";

  experiment("validation_split = 0.3: the last 30% of the rows validate", [&](auto& model) {
    print_history(model.fit(x_all, y_all, _batch_size = 64, _epochs = 2, _verbose = 2,
                            _validation_split = 0.3));
  });

  experiment("validation_data: the same split made by hand", [&](auto& model) {
    const std::int64_t split = rows * 7 / 10;
    model.fit(x_all.slice(0, split), y_all.slice(0, split), _batch_size = 64, _epochs = 2,
              _verbose = 2,
              _validation_data = {x_all.slice(split, rows), y_all.slice(split, rows)});
  });

  // The lesson's keyword order, batch_size after epochs, compiles as written.
  const Dataset train_dataset = Dataset::from_tensor_slices({x_all, y_all}).shuffle(1024).batch(64);
  experiment(
      "a Dataset: batch_size and shuffle of fit do not apply (ember says so)", [&](auto& model) {
        model.fit(train_dataset, _epochs = 2, _batch_size = 100, _shuffle = true, _verbose = 2);
      });

  experiment(cat("steps_per_epoch = 100 over a dataset of ", train_dataset.cardinality(),
                 " batches: epochs continue where the last one stopped"),
             [&](auto& model) {
               model.fit(train_dataset, _epochs = 3, _verbose = 2, _steps_per_epoch = 100);
             });

  experiment("class_weight: class 0 counts 100 times, class 2 half", [&](auto& model) {
    model.fit(x_all, y_all, _batch_size = 64, _epochs = 1, _verbose = 2,
              _class_weight = {{0, 100.0}, {1, 1.0}, {2, 0.5}});
  });

  experiment("sample_weight: the first 1000 rows count 5 times", [&](auto& model) {
    std::vector<float> weights(static_cast<std::size_t>(rows), 1.0f);
    std::fill(weights.begin(), weights.begin() + std::min<std::int64_t>(1000, rows), 5.0f);
    model.fit(x_all, y_all, _batch_size = 64, _epochs = 1, _verbose = 2,
              _sample_weight = constant(weights));
  });

  experiment("a Sequence (DigitsLimit, max_len = 6400), shuffled, on_epoch_end each epoch",
             [&](auto& model) {
               DigitsLimit sequence(x_all, y_all, 64, 6400);
               model.fit(sequence, _epochs = 3, _shuffle = true, _verbose = 2);
               std::cout << "  on_epoch_end was called " << sequence.epochs_seen << " times\n";
             });

  experiment(
      "callbacks: EarlyStopping(monitor = loss, min_delta = 0.5, patience = 1), "
      "TerminateOnNaN, our own",
      [&](auto& model) {
        callbacks::EarlyStopping stopper(_monitor = "loss", _min_delta = 0.5, _patience = 1,
                                         _verbose = 1);
        std::vector<callbacks::CallbackRef> used = {stopper, callbacks::TerminateOnNaN(),
                                                    PrintValidation()};
        // And the curves for TensorBoard: tensorboard --logdir <this program's folder>/logs
        if (summary::available()) {
          std::filesystem::remove_all(logs);
          used.push_back(callbacks::TensorBoard(logs.string(), _update_freq = 50));
          std::cout << "  TensorBoard: tensorboard --logdir " << logs.parent_path().string()
                    << "\n";
        }
        const keras::History history =
            model.fit(x_all, y_all, _batch_size = 64, _epochs = 10, _verbose = 2, _callbacks = used,
                      _validation_split = 0.2);
        std::cout << "  stopped after " << history.epoch.size() << " of 10 epochs (the "
                  << "loss no longer falls by 0.5; stopper.stopped_epoch() = "
                  << stopper.stopped_epoch() << ")\n";
        print_history(history);
        const keras::Logs result = model.evaluate(x_test, y_test, _verbose = 0);
        std::cout << "\ntest accuracy: " << result["accuracy"] * 100 << " %\n";
      });
  experiment(
      "BackupAndRestore: a fit interrupted after its 2nd epoch (a killed job) is run again and "
      "resumes at its 3rd",
      [&](auto& model) {
        const std::string backup =
            (std::filesystem::temp_directory_path() / "ember_lesson14_backup").string();
        std::filesystem::remove_all(backup);
        struct Interrupt : callbacks::Callback {
          void on_epoch_end(int epoch, keras::Logs&) override {
            if (epoch == 1) throw std::runtime_error("the job was killed");
          }
        };
        try {
          model.fit(x_all, y_all, _batch_size = 64, _epochs = 4, _verbose = 2,
                    _callbacks = {callbacks::BackupAndRestore(backup), Interrupt()});
        } catch (const std::runtime_error& e) {
          std::cout << "  " << e.what() << " after epoch 2\n";
        }
        callbacks::BackupAndRestore restore(backup);
        const keras::History history = model.fit(x_all, y_all, _batch_size = 64, _epochs = 4,
                                                 _verbose = 2, _callbacks = {restore});
        std::cout << "  the same fit, run again, resumed at epoch " << *restore.resumed_epoch() + 1
                  << " and ran " << history.epoch.size()
                  << " epochs; the backup is gone: " << std::boolalpha
                  << !std::filesystem::exists(backup) << "\n";
      });
  return 0;
}
