// from_tensor_slices, map, repeat, take and batch.
#include <algorithm>
#include <functional>

#include "core/error.h"
#include "core/ops/index.h"
#include "core/ops/shape.h"
#include "core/tensor_impl.h"
#include "io/data/dataset_pipeline.h"

namespace ember::io::pipeline {
namespace {

constexpr std::int64_t kInfinite = Dataset::kInfiniteCardinality;
constexpr std::int64_t kUnknown = Dataset::kUnknownCardinality;

// --- generic streams, over elements or over row numbers ----------------------------------------

class RangeRows final : public RowStream {
 public:
  explicit RangeRows(std::int64_t count) : count_(count) {}
  std::optional<std::int64_t> next() override {
    if (next_ == count_) return std::nullopt;
    return next_++;
  }

 private:
  std::int64_t count_;
  std::int64_t next_ = 0;
};

class RowElements final : public ElementStream {
 public:
  RowElements(std::unique_ptr<RowStream> rows, std::vector<Tensor> components)
      : rows_(std::move(rows)), components_(std::move(components)) {}
  std::optional<Element> next() override {
    const std::optional<std::int64_t> row = rows_->next();
    if (!row) return std::nullopt;
    Element element;
    element.reserve(components_.size());
    for (const Tensor& c : components_) element.push_back(c[*row]);
    return element;
  }

 private:
  std::unique_ptr<RowStream> rows_;
  std::vector<Tensor> components_;
};

// Passes over the input one after another, `count` of them (forever when absent). An input
// whose pass is empty ends the repetition: repeating nothing forever would never return.
template <class T>
class RepeatStream final : public Stream<T> {
 public:
  using Opener = std::function<std::unique_ptr<Stream<T>>()>;
  RepeatStream(Opener open, std::optional<std::int64_t> count)
      : open_(std::move(open)), count_(count) {}

  std::optional<T> next() override {
    while (!finished_) {
      if (!pass_) {
        if (count_ && passes_done_ >= *count_) break;
        pass_ = open_();
        pass_had_values_ = false;
      }
      std::optional<T> value = pass_->next();
      if (value) {
        pass_had_values_ = true;
        return value;
      }
      pass_.reset();
      ++passes_done_;
      if (!pass_had_values_) break;
    }
    finished_ = true;
    return std::nullopt;
  }

 private:
  Opener open_;
  std::optional<std::int64_t> count_;
  std::int64_t passes_done_ = 0;
  std::unique_ptr<Stream<T>> pass_;
  bool pass_had_values_ = false;
  bool finished_ = false;
};

template <class T>
class TakeStream final : public Stream<T> {
 public:
  TakeStream(std::unique_ptr<Stream<T>> input, std::int64_t count)
      : input_(std::move(input)), remaining_(count) {}
  std::optional<T> next() override {
    if (remaining_ == 0) return std::nullopt;
    --remaining_;
    return input_->next();
  }

 private:
  std::unique_ptr<Stream<T>> input_;
  std::int64_t remaining_;
};

class MapStream final : public ElementStream {
 public:
  MapStream(std::unique_ptr<ElementStream> input,
            std::shared_ptr<const Dataset::MapFunction> function)
      : input_(std::move(input)), function_(std::move(function)) {}
  std::optional<Element> next() override {
    std::optional<Element> element = input_->next();
    if (!element) return std::nullopt;
    return (*function_)(*element);
  }

 private:
  std::unique_ptr<ElementStream> input_;
  std::shared_ptr<const Dataset::MapFunction> function_;
};

// Batches of rows: a run of consecutive rows is a slice of each source tensor (a view, no
// copy); any other set of rows is one gather per component.
class RowBatches final : public ElementStream {
 public:
  RowBatches(std::unique_ptr<RowStream> rows, std::vector<Tensor> components, std::int64_t size,
             bool drop_remainder)
      : rows_(std::move(rows)),
        components_(std::move(components)),
        size_(size),
        drop_remainder_(drop_remainder) {}

  std::optional<Element> next() override {
    batch_rows_.clear();
    while (static_cast<std::int64_t>(batch_rows_.size()) < size_) {
      const std::optional<std::int64_t> row = rows_->next();
      if (!row) break;
      batch_rows_.push_back(*row);
    }
    const auto count = static_cast<std::int64_t>(batch_rows_.size());
    if (count == 0 || (drop_remainder_ && count < size_)) return std::nullopt;
    Element batch;
    batch.reserve(components_.size());
    if (consecutive()) {
      for (const Tensor& c : components_) {
        batch.push_back(c.slice(batch_rows_.front(), batch_rows_.front() + count));
      }
      return batch;
    }
    const Tensor host_rows =
        detail::from_host(batch_rows_.data(), Shape{count}, int64, Device::cpu());
    Tensor rows = host_rows;  // the row numbers on the device of the last component served
    for (const Tensor& c : components_) {
      if (rows.device() != c.device()) rows = host_rows.to(c.device());
      batch.push_back(gather(c, rows, 0));
    }
    return batch;
  }

 private:
  bool consecutive() const {
    for (std::size_t i = 1; i < batch_rows_.size(); ++i) {
      if (batch_rows_[i] != batch_rows_[i - 1] + 1) return false;
    }
    return true;
  }

  std::unique_ptr<RowStream> rows_;
  std::vector<Tensor> components_;
  std::int64_t size_;
  bool drop_remainder_;
  std::vector<std::int64_t> batch_rows_;
};

// Batches of arbitrary elements: each component stacked along a new first axis.
class StackedBatches final : public ElementStream {
 public:
  StackedBatches(std::unique_ptr<ElementStream> input, std::int64_t size, bool drop_remainder)
      : input_(std::move(input)), size_(size), drop_remainder_(drop_remainder) {}

  std::optional<Element> next() override {
    std::vector<Element> elements;
    while (static_cast<std::int64_t>(elements.size()) < size_) {
      std::optional<Element> element = input_->next();
      if (!element) break;
      elements.push_back(std::move(*element));
    }
    const auto count = static_cast<std::int64_t>(elements.size());
    if (count == 0 || (drop_remainder_ && count < size_)) return std::nullopt;
    check_alike(elements);
    Element batch;
    std::vector<Tensor> parts(elements.size());
    for (std::size_t c = 0; c < elements[0].size(); ++c) {
      for (std::size_t e = 0; e < elements.size(); ++e) parts[e] = elements[e][c];
      batch.push_back(stack(parts, 0));
    }
    return batch;
  }

 private:
  static void check_alike(const std::vector<Element>& elements) {
    const Element& first = elements[0];
    for (std::size_t e = 1; e < elements.size(); ++e) {
      if (elements[e].size() != first.size()) {
        throw ShapeError(cat("Dataset.batch: element ", e, " of a batch has ", elements[e].size(),
                             " components but element 0 has ", first.size()));
      }
      for (std::size_t c = 0; c < first.size(); ++c) {
        if (elements[e][c].shape() != first[c].shape() ||
            elements[e][c].dtype() != first[c].dtype()) {
          throw ShapeError(cat("Dataset.batch: cannot batch component ", c,
                               ": element 0 of the batch has shape ", first[c].shape(), " ",
                               dtype_name(first[c].dtype()), ", element ", e, " has ",
                               elements[e][c].shape(), " ", dtype_name(elements[e][c].dtype()),
                               " (batch elements must have one shape; map them to one first)"));
        }
      }
    }
  }

  std::unique_ptr<ElementStream> input_;
  std::int64_t size_;
  bool drop_remainder_;
};

// --- nodes -------------------------------------------------------------------------------------

class SlicesNode final : public Node {
 public:
  explicit SlicesNode(std::vector<Tensor> components)
      : components_(std::move(components)), rows_(components_[0].shape(0)) {}
  std::unique_ptr<ElementStream> open() const override {
    return elements_of_rows(open_rows(), components_);
  }
  std::unique_ptr<RowStream> open_rows() const override {
    return std::make_unique<RangeRows>(rows_);
  }
  std::int64_t cardinality() const override { return rows_; }
  const std::vector<Tensor>* row_source() const override { return &components_; }

 private:
  std::vector<Tensor> components_;
  std::int64_t rows_;
};

class MapNode final : public Node {
 public:
  MapNode(NodePtr input, Dataset::MapFunction function)
      : input_(std::move(input)),
        function_(std::make_shared<const Dataset::MapFunction>(std::move(function))) {}
  std::unique_ptr<ElementStream> open() const override {
    return std::make_unique<MapStream>(input_->open(), function_);
  }
  std::int64_t cardinality() const override { return input_->cardinality(); }

 private:
  NodePtr input_;
  std::shared_ptr<const Dataset::MapFunction> function_;
};

class RepeatNode final : public Node {
 public:
  RepeatNode(NodePtr input, std::optional<std::int64_t> count)
      : input_(std::move(input)), count_(count) {}
  std::unique_ptr<ElementStream> open() const override {
    if (const auto* rows = row_source()) return elements_of_rows(open_rows(), *rows);
    return std::make_unique<RepeatStream<Element>>([input = input_] { return input->open(); },
                                                   count_);
  }
  std::unique_ptr<RowStream> open_rows() const override {
    return std::make_unique<RepeatStream<std::int64_t>>(
        [input = input_] { return input->open_rows(); }, count_);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input_->cardinality();
    if (n == 0 || count_ == 0) return 0;
    if (!count_) return n == kUnknown ? kUnknown : kInfinite;
    return n < 0 ? n : n * *count_;
  }
  const std::vector<Tensor>* row_source() const override { return input_->row_source(); }

 private:
  NodePtr input_;
  std::optional<std::int64_t> count_;
};

class TakeNode final : public Node {
 public:
  TakeNode(NodePtr input, std::int64_t count) : input_(std::move(input)), count_(count) {}
  std::unique_ptr<ElementStream> open() const override {
    if (const auto* rows = row_source()) return elements_of_rows(open_rows(), *rows);
    return std::make_unique<TakeStream<Element>>(input_->open(), count_);
  }
  std::unique_ptr<RowStream> open_rows() const override {
    return std::make_unique<TakeStream<std::int64_t>>(input_->open_rows(), count_);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input_->cardinality();
    if (n == kInfinite) return count_;
    return n == kUnknown ? kUnknown : std::min(n, count_);
  }
  const std::vector<Tensor>* row_source() const override { return input_->row_source(); }

 private:
  NodePtr input_;
  std::int64_t count_;
};

class BatchNode final : public Node {
 public:
  BatchNode(NodePtr input, std::int64_t size, bool drop_remainder)
      : input_(std::move(input)), size_(size), drop_remainder_(drop_remainder) {}
  std::unique_ptr<ElementStream> open() const override {
    if (const auto* rows = input_->row_source()) {
      return std::make_unique<RowBatches>(input_->open_rows(), *rows, size_, drop_remainder_);
    }
    return std::make_unique<StackedBatches>(input_->open(), size_, drop_remainder_);
  }
  std::int64_t cardinality() const override {
    const std::int64_t n = input_->cardinality();
    if (n < 0) return n;
    return drop_remainder_ ? n / size_ : (n + size_ - 1) / size_;
  }

 private:
  NodePtr input_;
  std::int64_t size_;
  bool drop_remainder_;
};

}  // namespace

std::unique_ptr<ElementStream> elements_of_rows(std::unique_ptr<RowStream> rows,
                                                std::vector<Tensor> components) {
  return std::make_unique<RowElements>(std::move(rows), std::move(components));
}

NodePtr slices_node(std::vector<Tensor> components) {
  return std::make_shared<SlicesNode>(std::move(components));
}
NodePtr map_node(NodePtr input, Dataset::MapFunction function) {
  return std::make_shared<MapNode>(std::move(input), std::move(function));
}
NodePtr repeat_node(NodePtr input, std::optional<std::int64_t> count) {
  return std::make_shared<RepeatNode>(std::move(input), count);
}
NodePtr take_node(NodePtr input, std::int64_t count) {
  return std::make_shared<TakeNode>(std::move(input), count);
}
NodePtr batch_node(NodePtr input, std::int64_t size, bool drop_remainder) {
  return std::make_shared<BatchNode>(std::move(input), size, drop_remainder);
}

}  // namespace ember::io::pipeline
