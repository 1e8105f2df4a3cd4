// Dataset: argument checks, and the handle and iterator over pipeline nodes.
#include "io/data/dataset.h"

#include "core/error.h"
#include "core/random/random.h"
#include "io/data/dataset_pipeline.h"

namespace ember {
namespace {

// A key for an unseeded shuffle: two 32-bit draws from ember's global generator (one call to it,
// on the CPU), so random::set_seed fixes unseeded shuffles as tf.random.set_seed does.
std::uint64_t key_from_global_generator() {
  DeviceScope cpu(Device::cpu());
  const auto words = random::uniform({2}, {.minval = 0, .maxval = 4294967296.0, .dtype = int64})
                         .to_vector<std::int64_t>();
  return io::pipeline::shuffle_key_from_seed((static_cast<std::uint64_t>(words[0]) << 32) |
                                             static_cast<std::uint64_t>(words[1]));
}

}  // namespace

Dataset::Dataset(std::shared_ptr<const io::pipeline::Node> node) : node_(std::move(node)) {}

Dataset Dataset::from_tensor_slices(Tensor x) {
  return from_tensor_slices(std::vector<Tensor>{std::move(x)});
}

Dataset Dataset::from_tensor_slices(std::vector<Tensor> components) {
  const char* op = "Dataset.from_tensor_slices";
  if (components.empty()) throw Error(cat(op, ": expected at least one tensor, got none"));
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (!components[i].defined()) {
      throw Error(cat(op, ": component ", i, " is undefined (a default-constructed Tensor)"));
    }
    if (components[i].rank() == 0) {
      throw ShapeError(cat(op, ": component ", i, " is a scalar; slicing needs rank >= 1"));
    }
    if (components[i].shape(0) != components[0].shape(0)) {
      throw ShapeError(cat(op, ": component ", i, " has ", components[i].shape(0), " rows (shape ",
                           components[i].shape(), ") but component 0 has ", components[0].shape(0),
                           " (shape ", components[0].shape(),
                           "); all components need the same first dimension"));
    }
  }
  return Dataset(io::pipeline::slices_node(std::move(components)));
}

Dataset Dataset::shuffle(std::int64_t buffer_size, std::optional<std::uint64_t> seed,
                         bool reshuffle_each_iteration) const {
  if (buffer_size < 1) {
    throw Error(cat("Dataset.shuffle: buffer_size must be at least 1, got ", buffer_size));
  }
  const std::uint64_t key =
      seed ? io::pipeline::shuffle_key_from_seed(*seed) : key_from_global_generator();
  return Dataset(io::pipeline::shuffle_node(node_, buffer_size, key, reshuffle_each_iteration));
}

Dataset Dataset::batch(std::int64_t size, bool drop_remainder) const {
  if (size < 1) throw Error(cat("Dataset.batch: batch size must be at least 1, got ", size));
  return Dataset(io::pipeline::batch_node(node_, size, drop_remainder));
}

Dataset Dataset::map(MapFunction function) const {
  if (!function) throw Error("Dataset.map: the function is empty");
  return Dataset(io::pipeline::map_node(node_, std::move(function)));
}

Dataset Dataset::repeat(std::optional<std::int64_t> count) const {
  if (count && *count < -1) {
    throw Error(
        cat("Dataset.repeat: count must be >= 0, or -1 (or absent) for forever; got ", *count));
  }
  if (count == -1) count.reset();
  return Dataset(io::pipeline::repeat_node(node_, count));
}

Dataset Dataset::take(std::int64_t count) const {
  if (count < -1) {
    throw Error(cat("Dataset.take: count must be >= 0, or -1 for all elements; got ", count));
  }
  if (count == -1) return *this;
  return Dataset(io::pipeline::take_node(node_, count));
}

Dataset Dataset::prefetch(std::int64_t buffer_size) const {
  if (buffer_size == kAutotune) buffer_size = 2;
  if (buffer_size < 1) {
    throw Error(
        cat("Dataset.prefetch: buffer_size must be at least 1 (or kAutotune), got ", buffer_size));
  }
  return Dataset(io::pipeline::prefetch_node(node_, buffer_size));
}

std::int64_t Dataset::cardinality() const { return node_->cardinality(); }

Dataset::Iterator Dataset::begin() const { return Iterator(node_->open()); }

// --- Iterator ----------------------------------------------------------------------------------

Dataset::Iterator::Iterator() = default;
Dataset::Iterator::Iterator(Iterator&&) noexcept = default;
Dataset::Iterator& Dataset::Iterator::operator=(Iterator&&) noexcept = default;
Dataset::Iterator::~Iterator() = default;

Dataset::Iterator::Iterator(std::unique_ptr<io::pipeline::Stream<Element>> stream)
    : stream_(std::move(stream)) {
  current_ = stream_->next();
}

Dataset::Iterator& Dataset::Iterator::operator++() {
  // Cleared first: if next() throws, the iterator reads as ended rather than repeating an element.
  current_.reset();
  current_ = stream_->next();
  return *this;
}

}  // namespace ember
