// shuffle(): tf.data's shuffle buffer, driven by Philox.
#include <atomic>

#include "core/random/philox.h"
#include "io/data/dataset_pipeline.h"

namespace ember::io::pipeline {
namespace {

// Keeps up to `capacity` input values and hands out a uniformly chosen one; the next input value
// refills the buffer. Draw d of pass p is Philox block (key, call = p, index = d's low word,
// attempt = d's high word), so a pass's order depends only on (key, p).
template <class T>
class ShuffleStream final : public Stream<T> {
 public:
  ShuffleStream(std::unique_ptr<Stream<T>> input, std::int64_t capacity, std::uint64_t key,
                std::uint64_t pass)
      : input_(std::move(input)), capacity_(capacity), key_(key), pass_(pass) {}

  std::optional<T> next() override {
    while (!input_done_ && static_cast<std::int64_t>(buffer_.size()) < capacity_) {
      std::optional<T> value = input_->next();
      if (!value) {
        input_done_ = true;
        break;
      }
      buffer_.push_back(std::move(*value));
    }
    if (buffer_.empty()) return std::nullopt;
    const std::size_t chosen = draw(buffer_.size());
    T out = std::move(buffer_[chosen]);
    // The order within the buffer does not matter (every pick is uniform), so the last value
    // fills the hole.
    if (chosen + 1 != buffer_.size()) buffer_[chosen] = std::move(buffer_.back());
    buffer_.pop_back();
    return out;
  }

 private:
  // A uniform index in [0, n): the high word of a 64-bit random number times n (Lemire); its
  // bias, below n / 2^64, is far under anything a test could see.
  std::size_t draw(std::size_t n) {
    const philox::Block b = philox::element_block(key_, pass_, static_cast<std::uint32_t>(draws_),
                                                  static_cast<std::uint32_t>(draws_ >> 32));
    ++draws_;
    const std::uint64_t bits = (std::uint64_t{b.v[0]} << 32) | b.v[1];
    return static_cast<std::size_t>((static_cast<unsigned __int128>(bits) * n) >> 64);
  }

  std::unique_ptr<Stream<T>> input_;
  std::int64_t capacity_;
  std::uint64_t key_;
  std::uint64_t pass_;
  std::uint64_t draws_ = 0;
  bool input_done_ = false;
  std::vector<T> buffer_;
};

class ShuffleNode final : public Node {
 public:
  ShuffleNode(NodePtr input, std::int64_t capacity, std::uint64_t key, bool reshuffle)
      : input_(std::move(input)), capacity_(capacity), key_(key), reshuffle_(reshuffle) {}

  std::unique_ptr<ElementStream> open() const override {
    if (const auto* rows = row_source()) return elements_of_rows(open_rows(), *rows);
    return std::make_unique<ShuffleStream<Element>>(input_->open(), capacity_, key_, next_pass());
  }
  std::unique_ptr<RowStream> open_rows() const override {
    return std::make_unique<ShuffleStream<std::int64_t>>(input_->open_rows(), capacity_, key_,
                                                         next_pass());
  }
  std::int64_t cardinality() const override { return input_->cardinality(); }
  const std::vector<Tensor>* row_source() const override { return input_->row_source(); }

 private:
  // Every pass of a reshuffling dataset gets the next pass number (shared by copies of the
  // Dataset handle, as tf.data's seed generator is); otherwise every pass replays pass 0.
  std::uint64_t next_pass() const { return reshuffle_ ? passes_.fetch_add(1) : 0; }

  NodePtr input_;
  std::int64_t capacity_;
  std::uint64_t key_;
  bool reshuffle_;
  mutable std::atomic<std::uint64_t> passes_{0};
};

}  // namespace

std::uint64_t shuffle_key_from_seed(std::uint64_t seed) {
  // SplitMix64's finaliser (Steele et al., 2014): a bijection that scatters nearby seeds.
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

NodePtr shuffle_node(NodePtr input, std::int64_t buffer_size, std::uint64_t key, bool reshuffle) {
  return std::make_shared<ShuffleNode>(std::move(input), buffer_size, key, reshuffle);
}

}  // namespace ember::io::pipeline
