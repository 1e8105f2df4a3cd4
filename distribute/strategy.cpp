#include "distribute/strategy.h"

#include <cstdlib>
#include <functional>
#include <mutex>

#include "core/autodiff/gradient_tape.h"
#include "core/error.h"
#include "core/function/trace.h"
#include "core/ops.h"
#include "distribute/buckets.h"
#include "distribute/communication_thread.h"
#include "distribute/mpi_communicator.h"
#include "distribute/nccl_communicator.h"

namespace ember::distribute {

namespace detail {

struct StrategyState {
  std::shared_ptr<Communicator> communicator;
  std::string class_name;
  std::int64_t bucket_bytes = 0;
  bool reduce_during_backward = true;
  std::once_flag thread_started;
  std::unique_ptr<CommunicationThread> thread;  // started by the first all_reduce_async
};

}  // namespace detail

namespace {

thread_local std::vector<std::shared_ptr<detail::StrategyState>> scopes;

std::chrono::milliseconds collective_timeout(std::chrono::milliseconds given) {
  if (given.count() > 0) return given;
  if (given.count() < 0) {
    throw Error(cat("MultiWorkerMirroredStrategy: collective_timeout must be positive, got ",
                    given.count(), " ms"));
  }
  if (const char* text = std::getenv("EMBER_COLLECTIVE_TIMEOUT")) {
    char* end = nullptr;
    const double seconds = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(seconds > 0) || seconds > 1e7) {
      throw Error(
          cat("EMBER_COLLECTIVE_TIMEOUT must be a positive number of seconds, got '", text, "'"));
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0 + 0.5));
  }
  return std::chrono::minutes(10);
}

std::string describe(const Variable& v) {
  return cat("'", v.path(), "' ", v.shape(), " ", dtype_name(v.dtype()));
}

/// One line per variable: what every replica's model must agree on.
std::string description(const std::vector<Variable>& variables) {
  std::string text;
  for (const Variable& v : variables) text += describe(v) + "\n";
  return text;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

/// How this replica's variables differ from the root's description; empty when they agree.
std::string first_difference(const std::vector<Variable>& variables, const std::string& root_text,
                             int root) {
  const std::vector<std::string> theirs = lines(root_text);
  if (theirs.size() != variables.size()) {
    return cat("rank ", root, " has ", theirs.size(), " variables, this rank ", variables.size());
  }
  for (std::size_t i = 0; i < variables.size(); ++i) {
    const std::string mine = describe(variables[i]);
    if (mine != theirs[i]) {
      return cat("variable ", i, " is ", theirs[i], " on rank ", root, " but ", mine,
                 " on this rank");
    }
  }
  return {};
}

/// The reduction proper: the tensors in buckets (distribute/buckets.h), each joined, reduced
/// and cut apart again.
std::vector<Tensor> bucketed_all_reduce(
    std::int64_t bucket_bytes, const std::vector<Tensor>& tensors,
    const std::function<std::vector<Tensor>(std::vector<Tensor>)>& reduce) {
  std::vector<detail::BucketEntry> entries;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (!t.defined()) throw Error(cat("all_reduce: tensor ", i, " is undefined"));
    entries.push_back(
        {t.dtype(), t.device(), t.size() * static_cast<std::int64_t>(dtype_size(t.dtype()))});
    order.push_back(i);
  }
  const std::vector<std::vector<std::size_t>> buckets =
      detail::plan_buckets(entries, order, bucket_bytes);
  std::vector<Tensor> joined;
  for (const auto& members : buckets) {
    std::vector<Tensor> parts;
    for (std::size_t i : members) parts.push_back(tensors[i]);
    joined.push_back(detail::join_bucket(parts));
  }
  const std::vector<Tensor> reduced = reduce(std::move(joined));
  std::vector<Tensor> out(tensors.size());
  for (std::size_t k = 0; k < buckets.size(); ++k) {
    std::vector<Shape> shapes;
    for (std::size_t i : buckets[k]) shapes.push_back(tensors[i].shape());
    const std::vector<Tensor> parts = detail::cut_bucket(reduced[k], shapes);
    for (std::size_t j = 0; j < parts.size(); ++j) out[buckets[k][j]] = parts[j];
  }
  return out;
}

}  // namespace

Strategy::Strategy(std::shared_ptr<detail::StrategyState> state) : state_(std::move(state)) {}

int Strategy::num_replicas_in_sync() const { return state_->communicator->size(); }
int Strategy::rank() const { return state_->communicator->rank(); }
bool Strategy::is_chief() const { return rank() == 0; }
const std::string& Strategy::class_name() const { return state_->class_name; }
Communicator& Strategy::communicator() const { return *state_->communicator; }
std::int64_t Strategy::bucket_bytes() const { return state_->bucket_bytes; }

Strategy::Scope::Scope(std::shared_ptr<detail::StrategyState> state) : state_(std::move(state)) {
  scopes.push_back(state_);
}

Strategy::Scope::~Scope() {
  // Scopes are objects with block lifetimes, so they end in reverse order of their making.
  if (!scopes.empty() && scopes.back() == state_) scopes.pop_back();
}

std::optional<Strategy> current_strategy() {
  if (scopes.empty()) return std::nullopt;
  return Strategy(scopes.back());
}

std::vector<Tensor> Strategy::all_reduce(const std::vector<Tensor>& tensors, ReduceOp op) const {
  if (num_replicas_in_sync() == 1) return tensors;
  const Strategy self = *this;
  const auto reduce = [self, op](const std::vector<Tensor>& values) {
    const autodiff::PauseAll untaped;  // a reduction has no gradient of its own here
    // Through the communication thread, after the reductions started before it (a bucket of
    // gradients in flight): every replica then makes its collectives in the same order.
    return bucketed_all_reduce(self.bucket_bytes(), values, [&](std::vector<Tensor> joined) {
      return self.all_reduce_async(std::move(joined), op).get();
    });
  };
  if (trace::recording()) {
    // An effect (never folded or pruned): each replay reduces that step's values afresh.
    return *trace::traced_call("all_reduce", trace::NodeKind::effect, reduce, tensors);
  }
  return reduce(tensors);
}

std::future<std::vector<Tensor>> Strategy::all_reduce_async(std::vector<Tensor> tensors,
                                                            ReduceOp op) const {
  detail::StrategyState& state = *state_;
  std::call_once(state.thread_started,
                 [&state] { state.thread = std::make_unique<detail::CommunicationThread>(); });
  return state.thread->submit(
      [communicator = state.communicator, tensors = std::move(tensors), op]() {
        const autodiff::PauseAll untaped;
        return communicator->all_reduce(tensors, op);
      });
}

bool Strategy::reduce_during_backward() const { return state_->reduce_during_backward; }

void Strategy::broadcast_variables(const std::vector<Variable>& variables, const std::string& what,
                                   int root) const {
  if (num_replicas_in_sync() == 1) return;
  Communicator& c = communicator();
  const std::string root_text = c.broadcast_bytes(description(variables), root);
  const std::string difference =
      c.rank() == root ? std::string() : first_difference(variables, root_text, root);
  // Every replica learns which differ, so all of them stop rather than wait for ever.
  std::vector<std::int32_t> flags(static_cast<std::size_t>(c.size()), 0);
  flags[static_cast<std::size_t>(c.rank())] = difference.empty() ? 0 : 1;
  const std::vector<std::int32_t> differing =
      c.all_reduce({ember::detail::constant_from_host(flags.data(), c.size(), Shape{c.size()},
                                                      std::nullopt)},
                   ReduceOp::max)[0]
          .to_vector<std::int32_t>();
  std::string ranks;
  for (int r = 0; r < c.size(); ++r) {
    if (differing[static_cast<std::size_t>(r)] != 0) ranks += cat(ranks.empty() ? "" : ", ", r);
  }
  if (!ranks.empty()) {
    throw Error(cat(what, ": the replicas build different models (", class_name(),
                    " needs the same on every worker): ranks differing from rank ", root, ": ",
                    ranks,
                    difference.empty() ? std::string(" (their errors say how)")
                                       : cat("; on this rank (", c.rank(), ") ", difference)));
  }
  std::vector<Tensor> values;
  for (const Variable& v : variables) values.push_back(v.value());
  const std::vector<Tensor> given = c.broadcast(values, root);
  const autodiff::PauseAll untaped;
  for (std::size_t i = 0; i < variables.size(); ++i) {
    Variable v = variables[i];
    v.assign(given[i]);
  }
}

std::pair<std::int64_t, std::int64_t> Strategy::shard(std::int64_t rows) const {
  const std::int64_t n = num_replicas_in_sync(), r = rank();
  return {rows * r / n, rows * (r + 1) / n};
}

Strategy Strategy::over(std::shared_ptr<Communicator> communicator, std::string class_name,
                        std::int64_t bucket_bytes, bool reduce_during_backward) {
  return Strategy(make_state(std::move(communicator), std::move(class_name), bucket_bytes,
                             reduce_during_backward));
}

std::shared_ptr<detail::StrategyState> Strategy::make_state(
    std::shared_ptr<Communicator> communicator, std::string class_name, std::int64_t bucket_bytes,
    bool reduce_during_backward) {
  if (!communicator) throw Error("Strategy::over: no communicator given");
  if (bucket_bytes <= 0) {
    throw Error(cat("Strategy: bucket_bytes must be positive, got ", bucket_bytes));
  }
  auto state = std::make_shared<detail::StrategyState>();
  state->communicator = std::move(communicator);
  state->class_name = std::move(class_name);
  state->bucket_bytes = bucket_bytes;
  state->reduce_during_backward = reduce_during_backward;
  return state;
}

namespace {

std::shared_ptr<Communicator> multi_worker_communicator(const MultiWorkerOptions& options) {
  const std::chrono::milliseconds timeout = collective_timeout(options.collective_timeout);
  // Without a launcher this process is the only worker, as Keras' strategy without TF_CONFIG
  // is; MPI is not started for it. Under mpirun without MPI built in, mpi_world says so.
  if (distribute::detail::launcher_world_size() == 0) return local_communicator();
  std::shared_ptr<Communicator> mpi = distribute::detail::mpi_world(timeout);
  const Device device = options.device.value_or(default_device());
  const bool nccl = options.communication == Communication::nccl ||
                    (options.communication == Communication::automatic &&
                     distribute::detail::nccl_built() && device.is_cuda());
  return nccl ? distribute::detail::nccl_group(std::move(mpi), device, timeout) : mpi;
}

}  // namespace

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(MultiWorkerOptions options)
    : Strategy(make_state(multi_worker_communicator(options), "MultiWorkerMirroredStrategy",
                          options.bucket_bytes, options.reduce_during_backward)) {}

}  // namespace ember::distribute
