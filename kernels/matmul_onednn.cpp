// 16-bit matrix products through oneDNN's matmul primitive (built with EMBER_WITH_ONEDNN):
// bfloat16 (and float16 where this oneDNN has it) operands, float32 accumulation, the result
// rounded once. oneDNN picks AMX or AVX-512 BF16 kernels where the processor has them. The
// operands' row strides, transposes and batch strides go into the memory descriptors, so nothing
// is copied; a batch stride of 0 is a batch of one that oneDNN broadcasts. Primitives are cached
// per shape, as the convolutions' are (kernels/conv_onednn.cpp).
#if EMBER_WITH_ONEDNN

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

using dnnl::memory;

constexpr std::size_t kMaxCachedPlans = 256;

struct MatmulPlan {
  dnnl::matmul primitive;
  memory::desc a, b, c, scratchpad;
};

// Everything the descriptors depend on, and oneDNN's thread count (kernels/conv_onednn.cpp says
// why).
using PlanKey = std::array<std::int64_t, 14>;

PlanKey plan_key(const GemmArgs& g, int threads) {
  return {static_cast<std::int64_t>(g.dtype),
          g.transpose_a,
          g.transpose_b,
          g.m,
          g.n,
          g.k,
          g.batch,
          g.lda,
          g.ldb,
          g.ldc,
          g.batch > 1 ? g.stride_a : 0,
          g.batch > 1 ? g.stride_b : 0,
          g.batch > 1 ? g.stride_c : 0,
          threads};
}

dnnl::engine& engine() {
  static dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

memory::data_type data_type_of(DType dtype) {
  return dtype == DType::float16 ? memory::data_type::f16 : memory::data_type::bf16;
}

/// A (batch, rows, cols) view of row-major matrices `ld` apart in rows and `stride` apart in the
/// batch, transposed by swapping the strides; a batch stride of 0 broadcasts one matrix.
memory::desc matrix_desc(memory::data_type type, std::int64_t batch, std::int64_t stride,
                         std::int64_t rows, std::int64_t cols, std::int64_t ld, bool transposed) {
  const std::int64_t shared = batch > 1 && stride == 0;
  const memory::dims dims{shared ? 1 : batch, rows, cols};
  const std::int64_t stored_rows = transposed ? cols : rows;
  const std::int64_t batch_stride = batch > 1 && stride != 0 ? stride : stored_rows * ld;
  const memory::dims strides =
      transposed ? memory::dims{batch_stride, 1, ld} : memory::dims{batch_stride, ld, 1};
  return memory::desc(dims, type, strides);
}

std::shared_ptr<MatmulPlan> make_plan(const GemmArgs& g) {
  const memory::data_type type = data_type_of(g.dtype);
  auto plan = std::make_shared<MatmulPlan>();
  plan->a = matrix_desc(type, g.batch, g.stride_a, g.m, g.k, g.lda, g.transpose_a);
  plan->b = matrix_desc(type, g.batch, g.stride_b, g.k, g.n, g.ldb, g.transpose_b);
  plan->c = matrix_desc(type, g.batch, g.stride_c, g.m, g.n, g.ldc, false);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::matmul::desc desc(plan->a, plan->b, plan->c);
  const dnnl::matmul::primitive_desc pd(desc, attr, engine());
  plan->primitive = dnnl::matmul(pd);
  plan->scratchpad = pd.scratchpad_desc();
  return plan;
}

std::shared_ptr<MatmulPlan> cached_plan(const GemmArgs& g, int threads) {
  static std::mutex mutex;
  static std::map<PlanKey, std::shared_ptr<MatmulPlan>> plans;
  const PlanKey key = plan_key(g, threads);
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = plans.find(key);
    if (it != plans.end()) return it->second;
  }
  auto plan = make_plan(g);  // outside the lock: creation is the slow part
  std::lock_guard<std::mutex> lock(mutex);
  if (plans.size() >= kMaxCachedPlans) plans.clear();
  return plans.emplace(key, plan).first->second;
}

bool product_exists(DType dtype) {
  GemmArgs g;
  g.dtype = dtype;
  g.m = g.n = g.k = g.lda = g.ldb = g.ldc = 32;
  try {
    make_plan(g);
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

}  // namespace

bool onednn_matmul_supports(DType dtype) {
  static const bool bf16 = product_exists(DType::bfloat16);
  static const bool f16 = product_exists(DType::float16);
  return dtype == DType::bfloat16 ? bf16 : dtype == DType::float16 ? f16 : false;
}

void onednn_matmul(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0 || g.batch == 0) return;
  if (g.k == 0) {  // an empty sum: zeros (oneDNN rejects zero-sized reductions)
    fill(g.dtype, g.c, g.batch * g.m * g.n, ScalarValue{});
    return;
  }
  // One call in oneDNN's own OpenMP team: the matmul kernels split the work themselves, and a
  // product of 16-bit matrices is too fast per element to gain from ember's block split.
  const int threads = max_threads();
  try {
    set_onednn_threads_here(threads);
    const std::shared_ptr<MatmulPlan> plan = cached_plan(g, threads);
    thread_local std::vector<unsigned char> scratch;
    if (scratch.size() < plan->scratchpad.get_size()) scratch.resize(plan->scratchpad.get_size());
    dnnl::stream stream(engine());
    plan->primitive.execute(
        stream, {{DNNL_ARG_SRC, memory(plan->a, engine(), const_cast<void*>(g.a))},
                 {DNNL_ARG_WEIGHTS, memory(plan->b, engine(), const_cast<void*>(g.b))},
                 {DNNL_ARG_DST, memory(plan->c, engine(), g.c)},
                 {DNNL_ARG_SCRATCHPAD, memory(plan->scratchpad, engine(), scratch.data())}});
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(cat("matmul: oneDNN failed (status ", static_cast<int>(e.status), ": ", e.what(),
                    ") for ", g.batch, " products of ", g.m, "x", g.k, " by ", g.k, "x", g.n,
                    " in ", dtype_name(g.dtype)));
  }
}

}  // namespace ember::cpu

#endif  // EMBER_WITH_ONEDNN
