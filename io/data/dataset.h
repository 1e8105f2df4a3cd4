// Dataset: tf.data.Dataset for ember. A cheap-to-copy handle to an immutable description of an
// input pipeline; every method returns a new Dataset and leaves this one as it was.
//
//   auto train = Dataset::from_tensor_slices({x_train, y_train}).shuffle(1024).batch(32);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const auto& batch : train) step(batch[0], batch[1]);   // a new order every epoch
//
// An element is a std::vector<Tensor>, one entry per component (x, y, ...). Elements stay on the
// device of the source tensors. See docs/data.md for the semantics and the differences from
// tf.data.
#pragma once

#include <cstdint>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "core/tensor.h"

namespace ember {

namespace io::pipeline {
class Node;
template <class T>
class Stream;
}  // namespace io::pipeline

class Dataset {
 public:
  using Element = std::vector<Tensor>;
  using MapFunction = std::function<Element(const Element&)>;

  /// cardinality() of a dataset without end (repeat()), and of one whose size is unknown.
  static constexpr std::int64_t kInfiniteCardinality = -1;
  static constexpr std::int64_t kUnknownCardinality = -2;
  /// prefetch(kAutotune): tf.data.AUTOTUNE; ember keeps a fixed buffer of two elements.
  static constexpr std::int64_t kAutotune = -1;

  /// The rows of x (its first axis) as one-component elements. x must have rank >= 1.
  static Dataset from_tensor_slices(Tensor x);
  /// The rows of several tensors as elements {x[i], y[i], ...}; the first dimensions must agree
  /// (ShapeError naming both sizes otherwise).
  static Dataset from_tensor_slices(std::vector<Tensor> components);

  /// Elements in a random order, with tf.data's buffer: fill a buffer of `buffer_size` elements,
  /// hand out a uniformly chosen one and put the next input element in its place. A buffer at
  /// least the dataset's size gives a uniform permutation. With a seed the order is
  /// reproducible; without one the key comes from ember's global generator (so
  /// random::set_seed makes it reproducible too). reshuffle_each_iteration gives every pass
  /// (epoch, or repetition under repeat()) its own order; otherwise each pass repeats the first.
  Dataset shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed = std::nullopt,
                  bool reshuffle_each_iteration = true) const;
  /// Stacks `size` consecutive elements per component along a new first axis. The last batch may
  /// be smaller, unless drop_remainder. Rows of from_tensor_slices are sliced (no copy) or
  /// gathered in one op rather than stacked one by one.
  Dataset batch(std::int64_t size, bool drop_remainder = false) const;
  /// Applies `function` to every element (on the prefetch thread when prefetch follows).
  Dataset map(MapFunction function) const;
  /// The elements `count` times over; forever when count is absent or -1. Each repetition is a
  /// new pass of the input (a shuffle before repeat() reorders every repetition).
  Dataset repeat(std::optional<std::int64_t> count = std::nullopt) const;
  /// The first `count` elements (all of them for -1).
  Dataset take(std::int64_t count) const;
  /// Produces up to `buffer_size` elements ahead on a background thread, overlapping the input
  /// pipeline with the consumer's work. An exception in the pipeline reaches the consumer at the
  /// read where it happened; dropping the iterator stops and joins the thread.
  Dataset prefetch(std::int64_t buffer_size) const;

  /// The number of elements, or kInfiniteCardinality / kUnknownCardinality, as tf.data's.
  std::int64_t cardinality() const;

  /// One pass over the elements: an input iterator (move-only). A pass started by begin() runs
  /// independently of other passes over the same dataset.
  class Iterator {
   public:
    using value_type = Element;
    using difference_type = std::ptrdiff_t;
    using reference = const Element&;
    using iterator_concept = std::input_iterator_tag;

    Iterator();
    Iterator(Iterator&&) noexcept;
    Iterator& operator=(Iterator&&) noexcept;
    ~Iterator();

    const Element& operator*() const { return *current_; }
    const Element* operator->() const { return &*current_; }
    Iterator& operator++();
    void operator++(int) { ++*this; }
    friend bool operator==(const Iterator& it, std::default_sentinel_t) {
      return !it.current_.has_value();
    }

   private:
    friend class Dataset;
    explicit Iterator(std::unique_ptr<io::pipeline::Stream<Element>> stream);
    std::unique_ptr<io::pipeline::Stream<Element>> stream_;
    std::optional<Element> current_;
  };

  /// Starts a new pass (a new epoch) and reads its first element.
  Iterator begin() const;
  std::default_sentinel_t end() const { return std::default_sentinel; }

 private:
  explicit Dataset(std::shared_ptr<const io::pipeline::Node> node);
  std::shared_ptr<const io::pipeline::Node> node_;
};

}  // namespace ember
