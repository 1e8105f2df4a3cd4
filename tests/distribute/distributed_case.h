// The model, data and training that the multi-worker tests run twice: under mpirun, one process
// per worker (tests/tools/distributed_worker.cpp), and in the test itself as one process over
// the same global batches, the reference.
#pragma once

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ember.h"

namespace ember::testing::distributed {

struct Case {
  std::int64_t rows = 41;  // 4 global batches of 10 and a last one of 1: some replica gets none
  std::int64_t batch = 10;
  int epochs = 3;
  std::int64_t hidden = 8;
  std::int64_t validation_rows = 13;  // validated every epoch, in batches of 10 and 3
  bool run_eagerly = false;
};

/// Features from std::mt19937 (not ember's generator) and labels among 3 classes, float64.
inline std::pair<Tensor, Tensor> case_data(std::int64_t rows, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> x(static_cast<std::size_t>(rows * 4));
  for (double& v : x) v = u(rng);
  std::vector<std::int64_t> labels;
  for (std::int64_t i = 0; i < rows; ++i) labels.push_back(static_cast<std::int64_t>(rng() % 3));
  return {constant(x, {rows, 4}), constant(labels)};
}

/// Two float64 Dense layers; the weights come from ember's global generator, seeded.
inline std::shared_ptr<keras::Sequential> case_model(const Case& c) {
  random::set_seed(11);
  return std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({4}), layers::Dense(c.hidden, _activation = "relu", _dtype = "float64"),
      layers::Dense(3, _activation = "softmax", _dtype = "float64")});
}

// SGD, not Adam: Adam's steps hardly change when every gradient is scaled alike, which would hide
// a wrong weighting of the replicas.
inline void compile_case(keras::Model& model, const Case& c) {
  model.compile(_optimizer = optim::SGD(_learning_rate = 0.1, _momentum = 0.9),
                _loss = "sparse_categorical_crossentropy", _metrics = {"accuracy"},
                _run_eagerly = c.run_eagerly);
}

inline keras::History fit_case(keras::Model& model, const Case& c,
                               std::vector<callbacks::CallbackRef> extra = {}) {
  const auto [x, y] = case_data(c.rows, 2026);
  const auto [vx, vy] = case_data(c.validation_rows, 7);
  keras::FitOptions options{.batch_size = c.batch,
                            .epochs = c.epochs,
                            .verbose = 0,
                            .callbacks = std::move(extra),
                            .shuffle = true};
  if (c.validation_rows > 0) options.validation_data = keras::ValidationData(vx, vy);
  return model.fit(x, y, options);
}

/// Every weight's values, in order, as float64.
inline std::vector<double> flat_weights(const keras::Model& model) {
  std::vector<double> out;
  for (const Variable& v : model.weights()) {
    for (double d : cast(v.value(), DType::float64).to_vector<double>()) out.push_back(d);
  }
  return out;
}

/// What a worker reports: "weights v v v ...", then "<key> v v v" per history entry.
inline std::string report(const keras::Model& model, const keras::History& history) {
  std::ostringstream out;
  out.precision(17);
  out << "weights";
  for (double v : flat_weights(model)) out << ' ' << v;
  out << '\n';
  for (const auto& [key, values] : history.history) {
    out << key;
    for (double v : values) out << ' ' << v;
    out << '\n';
  }
  return out.str();
}

/// The lines of a report, by their first word.
inline std::map<std::string, std::vector<double>> parse_report(const std::string& text) {
  std::map<std::string, std::vector<double>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    double v;
    while (words >> v) out[key].push_back(v);
  }
  return out;
}

}  // namespace ember::testing::distributed
