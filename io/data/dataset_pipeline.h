// The pieces behind Dataset (internal to io/): a Dataset is a chain of immutable Nodes; each pass
// over it (Dataset::begin) opens a chain of Streams that hold the pass's state.
//
// Rows: from_tensor_slices followed only by shuffle, repeat and take yields whole rows of its
// source tensors. Such nodes also hand out the pass as a stream of row numbers, so batch() can
// slice a run of consecutive rows (no copy) or gather a batch's rows in one op, instead of
// slicing every row and stacking the slices.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "io/data/dataset.h"

namespace ember::io::pipeline {

using Element = Dataset::Element;

/// One pass over a sequence of values.
template <class T>
class Stream {
 public:
  virtual ~Stream() = default;
  /// The next value, or nullopt at the end of the pass.
  virtual std::optional<T> next() = 0;
};
using ElementStream = Stream<Element>;
using RowStream = Stream<std::int64_t>;

class Node {
 public:
  virtual ~Node() = default;
  /// Starts a pass. The stream keeps what it needs alive, so it may outlive the Dataset.
  virtual std::unique_ptr<ElementStream> open() const = 0;
  /// tf.data's cardinality: a count, Dataset::kInfiniteCardinality or kUnknownCardinality.
  virtual std::int64_t cardinality() const = 0;
  /// The tensors whose rows the elements are, when they are whole rows (see above); else null.
  virtual const std::vector<Tensor>* row_source() const { return nullptr; }
  /// A pass as row numbers of row_source(); only called when row_source() is not null.
  virtual std::unique_ptr<RowStream> open_rows() const { return nullptr; }
};
using NodePtr = std::shared_ptr<const Node>;

/// The elements {c[row] for c in components} for each row of `rows`.
std::unique_ptr<ElementStream> elements_of_rows(std::unique_ptr<RowStream> rows,
                                                std::vector<Tensor> components);

// The nodes; arguments are checked by Dataset before these are called.
NodePtr slices_node(std::vector<Tensor> components);
NodePtr shuffle_node(NodePtr input, std::int64_t buffer_size, std::uint64_t key, bool reshuffle);
NodePtr batch_node(NodePtr input, std::int64_t size, bool drop_remainder);
NodePtr map_node(NodePtr input, Dataset::MapFunction function);
NodePtr repeat_node(NodePtr input, std::optional<std::int64_t> count);
NodePtr take_node(NodePtr input, std::int64_t count);
NodePtr prefetch_node(NodePtr input, std::int64_t buffer_size);

/// A 64-bit Philox key from a user's seed, mixed so that shuffle(seed = s) and
/// random::set_seed(s) do not draw the same bits.
std::uint64_t shuffle_key_from_seed(std::uint64_t seed);

}  // namespace ember::io::pipeline
