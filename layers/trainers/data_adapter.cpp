#include "layers/trainers/data_adapter.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random/random.h"

namespace ember::keras::detail {

namespace {

void check_rows(const Batch& batch, const std::string& source) {
  const std::int64_t rows = batch.size();
  auto check = [&](const Tensor& t, const char* what) {
    if (!t.defined()) throw Error(cat(source, ": a ", what, " tensor of the batch is undefined"));
    if (t.rank() == 0 || t.shape(0) != rows) {
      throw ShapeError(cat(source, ": the batch's inputs have ", rows, " rows but a ", what,
                           " has shape ", t.shape()));
    }
  };
  for (const Tensor& t : batch.x) check(t, "input");
  for (const Tensor& t : batch.y) check(t, "target");
  if (batch.sample_weight.defined()) check(batch.sample_weight, "sample_weight");
}

Batch to_device(Batch batch, const Device& device) {
  for (Tensor& t : batch.x) t = t.to(device);
  for (Tensor& t : batch.y) t = t.to(device);
  if (batch.sample_weight.defined()) batch.sample_weight = batch.sample_weight.to(device);
  return batch;
}

class ArrayAdapter final : public DataAdapter {
 public:
  ArrayAdapter(std::vector<Tensor> x, std::vector<Tensor> y, Tensor sample_weight,
               std::int64_t batch_size, bool shuffle, const Device& device)
      : batch_size_(batch_size), shuffle_(shuffle), device_(device) {
    if (batch_size <= 0) throw Error(cat("fit: batch_size must be positive, got ", batch_size));
    for (Tensor& t : x) x_.push_back(t.to(device));
    for (Tensor& t : y) y_.push_back(t.to(device));
    if (sample_weight.defined()) sample_weight_ = sample_weight.to(device);
    rows_ = x_.empty() ? 0 : x_[0].shape(0);
  }
  std::optional<std::int64_t> num_batches() const override {
    return (rows_ + batch_size_ - 1) / batch_size_;
  }
  void begin_pass() override {
    position_ = 0;
    if (shuffle_ && rows_ > 1) {
      // The permutation is drawn on the CPU (Philox gives the same one everywhere) and copied to
      // the data's device once per epoch.
      const autodiff::PauseAll untaped;
      const DeviceScope on_cpu(Device::cpu());
      order_ = agreed(random::shuffle(range(Scalar(rows_)))).to(device_);
    }
  }
  std::optional<Batch> next() override {
    if (position_ >= rows_) return std::nullopt;
    const std::int64_t end = std::min(rows_, position_ + batch_size_);
    Batch batch;
    const Tensor indices = order_.defined() ? order_.slice(position_, end) : Tensor();
    auto take = [&](const Tensor& t) {
      return indices.defined() ? gather(t, indices) : t.slice(position_, end);
    };
    for (const Tensor& t : x_) batch.x.push_back(take(t));
    for (const Tensor& t : y_) batch.y.push_back(take(t));
    if (sample_weight_.defined()) batch.sample_weight = take(sample_weight_);
    position_ = end;
    return batch;
  }

 private:
  std::vector<Tensor> x_, y_;
  Tensor sample_weight_, order_;
  std::int64_t batch_size_, rows_ = 0, position_ = 0;
  bool shuffle_;
  Device device_;
};

class DatasetAdapter final : public DataAdapter {
 public:
  DatasetAdapter(Dataset dataset, std::size_t inputs, std::size_t outputs, const Device& device)
      : dataset_(std::move(dataset)), inputs_(inputs), outputs_(outputs), device_(device) {}
  std::optional<std::int64_t> num_batches() const override {
    const std::int64_t n = dataset_.cardinality();
    return n >= 0 ? std::optional<std::int64_t>(n) : std::nullopt;
  }
  void begin_pass() override { iterator_ = dataset_.begin(); }
  std::optional<Batch> next() override {
    if (!iterator_ || *iterator_ == std::default_sentinel) return std::nullopt;
    Batch batch = split_element(**iterator_, inputs_, outputs_, "Dataset");
    ++*iterator_;
    return to_device(std::move(batch), device_);
  }

 private:
  Dataset dataset_;
  std::optional<Dataset::Iterator> iterator_;
  std::size_t inputs_, outputs_;
  Device device_;
};

class SequenceAdapter final : public DataAdapter {
 public:
  SequenceAdapter(Sequence& sequence, std::size_t inputs, std::size_t outputs, bool shuffle,
                  const Device& device)
      : sequence_(sequence),
        inputs_(inputs),
        outputs_(outputs),
        shuffle_(shuffle),
        device_(device) {}
  std::optional<std::int64_t> num_batches() const override { return sequence_.size(); }
  void begin_pass() override {
    const std::int64_t n = sequence_.size();
    if (n < 0) throw Error(cat("Sequence: size() returned ", n));
    order_.resize(static_cast<std::size_t>(n));
    std::iota(order_.begin(), order_.end(), std::int64_t{0});
    if (shuffle_ && n > 1) {
      const autodiff::PauseAll untaped;
      const DeviceScope on_cpu(Device::cpu());
      order_ = agreed(random::shuffle(range(Scalar(n)))).to_vector<std::int64_t>();
    }
    position_ = 0;
  }
  std::optional<Batch> next() override {
    if (position_ >= order_.size()) return std::nullopt;
    const std::int64_t index = order_[position_++];
    Batch batch =
        split_element(sequence_.get(index), inputs_, outputs_, cat("Sequence batch ", index));
    return to_device(std::move(batch), device_);
  }
  void on_epoch_end() override { sequence_.on_epoch_end(); }

 private:
  Sequence& sequence_;
  std::size_t inputs_, outputs_;
  bool shuffle_;
  Device device_;
  std::vector<std::int64_t> order_;
  std::size_t position_ = 0;
};

class ClassWeightAdapter final : public DataAdapter {
 public:
  void agree_orders(OrderAgreement agreement) override {
    inner_->agree_orders(std::move(agreement));
  }
  ClassWeightAdapter(std::unique_ptr<DataAdapter> inner,
                     std::map<std::int64_t, double> class_weight)
      : inner_(std::move(inner)) {
    for (const auto& [label, weight] : class_weight) {
      if (label < 0) throw Error(cat("fit: class_weight has the negative class ", label));
      if (!(weight >= 0) || !std::isfinite(weight)) {
        throw Error(
            cat("fit: class_weight[", label, "] = ", weight, "; weights must be finite and >= 0"));
      }
    }
    const std::int64_t largest = class_weight.empty() ? 0 : class_weight.rbegin()->first;
    std::vector<float> table(static_cast<std::size_t>(largest + 1), 1.0f);
    for (const auto& [label, weight] : class_weight)
      table[static_cast<std::size_t>(label)] = static_cast<float>(weight);
    table_ = constant(table);
  }
  std::optional<std::int64_t> num_batches() const override { return inner_->num_batches(); }
  void begin_pass() override { inner_->begin_pass(); }
  void on_epoch_end() override { inner_->on_epoch_end(); }
  std::optional<Batch> next() override {
    std::optional<Batch> batch = inner_->next();
    if (!batch) return batch;
    if (batch->y.size() != 1) {
      throw Error(
          cat("fit: class_weight needs exactly one target, the batch has ", batch->y.size()));
    }
    const autodiff::PauseAll untaped;
    const Tensor& y = batch->y[0];
    Tensor labels = (y.rank() >= 2 && y.shape(-1) > 1) ? argmax(y, -1) : reshape(y, {y.shape(0)});
    if (labels.dtype() != int64)
      labels =
          cast(is_floating(labels.dtype()) ? labels + 0.5 : labels, int64);  // rounds float labels
    if (table_.device() != labels.device())
      table_ = table_.to(labels.device());  // once, not per batch
    const std::int64_t largest = table_.shape(0) - 1;
    const Tensor inside = logical_and(greater_equal(labels, 0), less_equal(labels, largest));
    const Tensor safe = where(inside, labels, zeros_like(labels));
    const Tensor weights = where(inside, gather(table_, safe), ones_like(labels, float32));
    batch->sample_weight =
        batch->sample_weight.defined() ? batch->sample_weight * weights : weights;
    return batch;
  }

 private:
  std::unique_ptr<DataAdapter> inner_;
  Tensor table_;
};

}  // namespace

Batch split_element(std::vector<Tensor> element, std::size_t inputs, std::size_t outputs,
                    const std::string& source) {
  const std::size_t n = element.size();
  if (n != inputs && n != inputs + outputs && n != inputs + outputs + 1) {
    throw Error(cat(source, " gives ", n, " tensors per batch; the model takes ", inputs,
                    " input(s) and ", outputs, " target(s), so a batch is ", inputs,
                    " (inputs only), ", inputs + outputs, " (inputs, targets) or ",
                    inputs + outputs + 1, " (inputs, targets, sample weights)"));
  }
  Batch batch;
  batch.x.assign(element.begin(), element.begin() + static_cast<std::ptrdiff_t>(inputs));
  if (n > inputs) {
    batch.y.assign(element.begin() + static_cast<std::ptrdiff_t>(inputs),
                   element.begin() + static_cast<std::ptrdiff_t>(inputs + outputs));
  }
  if (n == inputs + outputs + 1) batch.sample_weight = element.back();
  check_rows(batch, source);
  return batch;
}

std::unique_ptr<DataAdapter> array_adapter(std::vector<Tensor> x, std::vector<Tensor> y,
                                           Tensor sample_weight, std::int64_t batch_size,
                                           bool shuffle, const Device& device) {
  return std::make_unique<ArrayAdapter>(std::move(x), std::move(y), std::move(sample_weight),
                                        batch_size, shuffle, device);
}

std::unique_ptr<DataAdapter> dataset_adapter(Dataset dataset, std::size_t inputs,
                                             std::size_t outputs, const Device& device) {
  return std::make_unique<DatasetAdapter>(std::move(dataset), inputs, outputs, device);
}

std::unique_ptr<DataAdapter> sequence_adapter(Sequence& sequence, std::size_t inputs,
                                              std::size_t outputs, bool shuffle,
                                              const Device& device) {
  return std::make_unique<SequenceAdapter>(sequence, inputs, outputs, shuffle, device);
}

std::unique_ptr<DataAdapter> with_class_weight(std::unique_ptr<DataAdapter> adapter,
                                               std::map<std::int64_t, double> class_weight) {
  if (class_weight.empty()) return adapter;
  return std::make_unique<ClassWeightAdapter>(std::move(adapter), std::move(class_weight));
}

// --- EpochIterator
// ---------------------------------------------------------------------------------

namespace {
void warn_ran_out() {
  warn(
      "Your input ran out of data; interrupting training. Make sure that your dataset or generator "
      "can "
      "generate at least `steps_per_epoch * epochs` batches. You may need to use the `.repeat()` "
      "function "
      "when building your dataset.");
}
}  // namespace

EpochIterator::EpochIterator(DataAdapter& adapter, std::optional<std::int64_t> steps_per_epoch)
    : adapter_(adapter), steps_per_epoch_(steps_per_epoch), num_batches_(adapter.num_batches()) {
  if (steps_per_epoch_ && *steps_per_epoch_ <= 0) {
    throw Error(cat("steps_per_epoch must be positive, got ", *steps_per_epoch_));
  }
}

void EpochIterator::reset() {
  pass_open_ = false;
  steps_seen_ = 0;
  adapter_.on_epoch_end();
}

std::optional<std::int64_t> EpochIterator::steps() const {
  return steps_per_epoch_ ? steps_per_epoch_ : num_batches_;
}

void EpochIterator::run_epoch(std::int64_t per_execution, const Execution& execute) {
  std::vector<Batch> group;
  std::int64_t begin = 0;
  // Adds a batch; runs the group when it is full. False when the epoch is to end.
  const auto add = [&](std::int64_t step, Batch& batch) {
    if (group.empty()) begin = step;
    group.push_back(std::move(batch));
    if (static_cast<std::int64_t>(group.size()) < per_execution) return true;
    const bool go_on = execute(begin, step, group);
    group.clear();
    return go_on;
  };
  const std::optional<std::int64_t> steps = this->steps();
  if (steps && *steps > 0) {
    if (!pass_open_ || !steps_per_epoch_) {
      adapter_.begin_pass();
      pass_open_ = true;
      steps_seen_ = 0;
    }
    for (std::int64_t i = 0; i < *steps; ++i) {
      if (num_batches_ && steps_seen_ >= *num_batches_) {
        if (steps_per_epoch_) warn_ran_out();
        break;
      }
      std::optional<Batch> batch = adapter_.next();
      if (!batch) {
        // The data ended before its announced size (or its size was unknown).
        if (!num_batches_) num_batches_ = steps_seen_;
        warn_ran_out();
        pass_open_ = false;
        break;
      }
      ++steps_seen_;
      if (!add(i, *batch)) break;
    }
    if (num_batches_ && steps_seen_ >= *num_batches_)
      pass_open_ = false;  // the next epoch starts a new pass
  } else {
    adapter_.begin_pass();
    std::int64_t i = 0;
    bool go_on = true;
    while (go_on) {
      std::optional<Batch> batch = adapter_.next();
      if (!batch) break;
      go_on = add(i++, *batch);
    }
    pass_open_ = false;
  }
  // The epoch's last, shorter execution.
  if (!group.empty()) execute(begin, begin + static_cast<std::int64_t>(group.size()) - 1, group);
  adapter_.on_epoch_end();
}

}  // namespace ember::keras::detail
