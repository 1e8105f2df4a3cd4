// Sequence: a source of batches that the user writes (keras.utils.Sequence / PyDataset): how many
// batches there are, the batch at an index, and what to do after each epoch (reshuffle, say).
//
//   struct DigitsLimit : Sequence {
//     Tensor x, y; std::int64_t batch_size;
//     std::int64_t size() const override { return (x.shape(0) + batch_size - 1) / batch_size; }
//     std::vector<Tensor> get(std::int64_t i) override {
//       const std::int64_t end = std::min(x.shape(0), (i + 1) * batch_size);
//       return {x.slice(i * batch_size, end), y.slice(i * batch_size, end)};
//     }
//   };
//   model.fit(sequence, {.epochs = 5});
//
// A batch is {x, y} or {x, y, sample_weight}; a model with several inputs or outputs takes its
// inputs first, then its targets, then the optional weights. fit asks for every index of an
// epoch in order (in a random order with shuffle = true) and calls on_epoch_end() after each.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ember {

class Sequence {
 public:
  virtual ~Sequence() = default;
  /// The number of batches in an epoch.
  virtual std::int64_t size() const = 0;
  /// Batch `index` (0 <= index < size()).
  virtual std::vector<Tensor> get(std::int64_t index) = 0;
  /// Called by fit after every epoch.
  virtual void on_epoch_end() {}
};

}  // namespace ember
