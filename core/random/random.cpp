#include "core/random/random.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "core/error.h"
#include "core/ops/index.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"
#include "core/random/philox.h"

namespace ember::random {
namespace {

// The global generator: a Philox key and the number of calls made with it. Each random op takes
// the next call number; elements within a call are addressed by index.
struct GlobalGenerator {
  std::mutex mutex;
  std::uint64_t key = std::random_device{}() | (std::uint64_t{std::random_device{}()} << 32);
  std::uint64_t calls = 0;

  std::pair<std::uint64_t, std::uint64_t> next() {
    std::lock_guard<std::mutex> lock(mutex);
    return {key, calls++};
  }
};

GlobalGenerator& generator() {
  static GlobalGenerator g;
  return g;
}

Tensor generate(const char* name, const Shape& shape, DType dtype, RandomArgs args,
                std::pair<std::uint64_t, std::uint64_t> key_and_call) {
  if (shape.num_elements() > std::int64_t{0xffffffff}) {
    throw ShapeError(cat(name, ": at most 2^32 - 1 values per call, asked for ", shape));
  }
  Tensor out = detail::empty(shape, dtype, default_device());
  std::tie(args.key, args.call) = key_and_call;
  args.dtype = dtype;
  args.n = out.size();
  args.out = detail::mutable_data(out);
  if (args.n > 0) detail::backend_of(out).random(args);
  return out;
}

void check_normal(const char* name, const NormalOptions& o) {
  if (!is_floating(o.dtype)) {
    throw DTypeError(cat(name, ": expected a floating dtype, got ", dtype_name(o.dtype)));
  }
  if (!(o.stddev >= 0)) throw Error(cat(name, ": stddev must be >= 0, got ", o.stddev));
}

}  // namespace

void set_seed(std::uint64_t seed) {
  GlobalGenerator& g = generator();
  std::lock_guard<std::mutex> lock(g.mutex);
  g.key = seed;
  g.calls = 0;
}

namespace {

RandomArgs normal_args(const char* name, const NormalOptions& o, bool truncated) {
  check_normal(name, o);
  RandomArgs args;
  args.distribution = truncated ? RandomDistribution::truncated_normal : RandomDistribution::normal;
  args.a = o.mean;
  args.b = o.stddev;
  return args;
}

RandomArgs uniform_args(const UniformOptions& o) {
  RandomArgs args;
  if (is_floating(o.dtype)) {
    args.distribution = RandomDistribution::uniform;
    args.a = o.minval;
    args.b = o.maxval.value_or(1.0);
    if (!(args.b > args.a)) {
      throw Error(cat("random::uniform: need minval < maxval, got [", args.a, ", ", args.b, ")"));
    }
  } else if (o.dtype == DType::int32 || o.dtype == DType::int64) {
    if (!o.maxval) {
      throw Error("random::uniform: integer dtypes need maxval (TensorFlow requires it too)");
    }
    args.distribution = RandomDistribution::uniform_int;
    args.lo = Scalar(o.minval).as(o.dtype, "random::uniform").i;
    args.hi = Scalar(*o.maxval).as(o.dtype, "random::uniform").i;
    if (args.hi <= args.lo) {
      throw Error(cat("random::uniform: need minval < maxval, got [", args.lo, ", ", args.hi, ")"));
    }
  } else {
    throw DTypeError(cat("random::uniform: expected float32, float64, int32 or int64, got ",
                         dtype_name(o.dtype)));
  }
  return args;
}

Tensor normal_forward(const Shape& shape, const NormalOptions& o) {
  return generate("random::normal", shape, o.dtype, normal_args("random::normal", o, false),
                  generator().next());
}

Tensor truncated_normal_forward(const Shape& shape, const NormalOptions& o) {
  return generate("random::truncated_normal", shape, o.dtype,
                  normal_args("random::truncated_normal", o, true), generator().next());
}

Tensor uniform_forward(const Shape& shape, const UniformOptions& o) {
  return generate("random::uniform", shape, o.dtype, uniform_args(o), generator().next());
}

}  // namespace

Tensor normal(const Shape& shape, NormalOptions o) {
  return detail::run_random_op("random.normal", normal_forward, shape, o);
}

Tensor truncated_normal(const Shape& shape, NormalOptions o) {
  return detail::run_random_op("random.truncated_normal", truncated_normal_forward, shape, o);
}

Tensor uniform(const Shape& shape, UniformOptions o) {
  return detail::run_random_op("random.uniform", uniform_forward, shape, o);
}

struct Generator::State {
  std::mutex mutex;
  std::uint64_t seed = 0;
  std::uint64_t calls = 0;
};

Generator::Generator(std::uint64_t seed) : state_(std::make_shared<State>()) {
  state_->seed = seed;
}

std::uint64_t Generator::seed() const { return state_->seed; }

namespace {
// A generator's key: its seed mixed so it never collides with the global stream of the same seed.
std::pair<std::uint64_t, std::uint64_t> next_of(std::mutex& mutex, std::uint64_t seed,
                                                std::uint64_t& calls) {
  std::lock_guard<std::mutex> lock(mutex);
  return {seed ^ 0x9E3779B97F4A7C15ull, calls++};
}
}  // namespace

namespace {

// The draws of a generator, as functions of a copy of it (copies share the state, so every
// replay of a traced graph draws the next numbers).
Tensor generator_normal(const Generator& g, const Shape& shape, const NormalOptions& o) {
  return generate("Generator::normal", shape, o.dtype, normal_args("Generator::normal", o, false),
                  g.next_key_and_call());
}
Tensor generator_truncated_normal(const Generator& g, const Shape& shape, const NormalOptions& o) {
  return generate("Generator::truncated_normal", shape, o.dtype,
                  normal_args("Generator::truncated_normal", o, true), g.next_key_and_call());
}
Tensor generator_uniform(const Generator& g, const Shape& shape, const UniformOptions& o) {
  return generate("Generator::uniform", shape, o.dtype, uniform_args(o), g.next_key_and_call());
}

Tensor shuffle_forward(const Tensor& x) {
  detail::check_defined(x, "random::shuffle");
  if (x.rank() == 0) throw ShapeError("random::shuffle: cannot shuffle a scalar");
  const std::int64_t n = x.shape(0);
  if (n > std::int64_t{0xffffffff}) throw ShapeError("random::shuffle: too many rows");
  // The permutation sorts the rows by a random 64-bit key (index breaks ties), computed on the
  // host with the same Philox stream on every device; the rows then move on x's device.
  const auto [key, call] = generator().next();
  std::vector<std::pair<std::uint64_t, std::int64_t>> keyed(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const philox::Block b = philox::element_block(key, call, static_cast<std::uint32_t>(i), 0);
    keyed[i] = {(std::uint64_t{b.v[0]} << 32) | b.v[1], i};
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[i] = keyed[i].second;
  return gather(x, order, 0);
}

}  // namespace

std::pair<std::uint64_t, std::uint64_t> Generator::next_key_and_call() const {
  return next_of(state_->mutex, state_->seed, state_->calls);
}

Tensor Generator::normal(const Shape& shape, NormalOptions o) {
  return detail::run_random_op("Generator.normal", generator_normal, *this, shape, o);
}

Tensor Generator::truncated_normal(const Shape& shape, NormalOptions o) {
  return detail::run_random_op("Generator.truncated_normal", generator_truncated_normal, *this,
                               shape, o);
}

Tensor Generator::uniform(const Shape& shape, UniformOptions o) {
  return detail::run_random_op("Generator.uniform", generator_uniform, *this, shape, o);
}

Tensor shuffle(const Tensor& x) {
  return detail::run_random_op("random.shuffle", shuffle_forward, x);
}

}  // namespace ember::random
