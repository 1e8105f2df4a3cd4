// float32 and bfloat16 convolutions through oneDNN's primitives (built with EMBER_WITH_ONEDNN).
// bfloat16 passes accumulate in float32 (AMX or AVX-512 BF16 where the processor has them); the
// filter gradient of a bfloat16 pass is computed and summed in float32 and rounded once at the end.
//
// Activations stay NHWC (oneDNN's nhwc tag), so no reorder touches them; the filter is handed over
// in Keras' HWIO layout (hwigo with groups) and reordered to whatever layout the chosen
// implementation asks for ("any"), which costs a pass over the small filter only. Creating a
// primitive means choosing and generating a kernel (tens of microseconds to milliseconds), so
// the primitive, its reorder and its descriptors are kept per shape in a bounded cache. Primitives
// run with a user-provided scratchpad, so several threads may use one primitive at once.
#if EMBER_WITH_ONEDNN

#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <type_traits>

#include "core/error.h"
#include "kernels/cpu_kernels.h"
#include "kernels/parallel.h"

namespace ember::cpu {
namespace {

using dnnl::memory;

enum class Pass : std::uint8_t { forward, backward_data, backward_filter };

// The primitive of one (pass, shape) and the filter reorder between Keras' layout and its own.
struct ConvPlan {
  dnnl::primitive primitive;
  memory::desc filter_desc;  // the primitive's filter (or filter-gradient) layout
  memory::desc user_filter_desc;
  std::optional<dnnl::reorder>
      filter_reorder;  // user -> primitive (forward, data), primitive -> user (filter)
  memory::desc src_desc, dst_desc, scratchpad_desc;
};

constexpr std::size_t kMaxCachedPlans = 256;

// oneDNN's thread count is part of the key: oneDNN balances a primitive's work for the threads it
// was created with, and a primitive created for 2 threads must not run on 1 (or the reverse).
using PlanKey = std::array<std::int64_t, 21>;

PlanKey plan_key(Pass pass, const Conv2DArgs& a, int onednn_threads) {
  return {static_cast<std::int64_t>(pass),
          static_cast<std::int64_t>(a.dtype),
          a.batch,
          a.in_height,
          a.in_width,
          a.in_channels,
          a.out_height,
          a.out_width,
          a.out_channels,
          a.kernel_height,
          a.kernel_width,
          a.stride_height,
          a.stride_width,
          a.dilation_height,
          a.dilation_width,
          a.pad_top,
          a.pad_left,
          a.pad_bottom,
          a.pad_right,
          a.groups,
          onednn_threads};
}

dnnl::engine& engine() {
  static dnnl::engine cpu(dnnl::engine::kind::cpu, 0);
  return cpu;
}

// 64-byte aligned memory of one thread, grown on demand and kept (large fresh allocations fault
// their pages in on every use).
class ThreadBuffer {
 public:
  ~ThreadBuffer() { std::free(data_); }
  void* get(std::size_t bytes) {
    if (bytes > size_) {
      std::free(data_);
      size_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, size_);
      if (data_ == nullptr)
        throw Error(cat("conv2d: cannot allocate ", bytes, " bytes of scratch memory"));
    }
    return data_;
  }

 private:
  void* data_ = nullptr;
  std::size_t size_ = 0;
};

ThreadBuffer& scratchpad_buffer() {
  thread_local ThreadBuffer buffer;
  return buffer;
}
ThreadBuffer& filter_buffer() {
  thread_local ThreadBuffer buffer;
  return buffer;
}

struct Descriptors {
  memory::desc src, user_filter, any_filter, dst;
  memory::dims strides, dilates, padding_l, padding_r;
};

memory::data_type data_type_of(DType dtype) {
  switch (dtype) {
    case DType::bfloat16:
      return memory::data_type::bf16;
    case DType::float16:
      return memory::data_type::f16;
    default:
      return memory::data_type::f32;
  }
}

// The filter gradient of a 16-bit pass is float32: the slices' partial gradients are summed in
// float32 and rounded once (onednn_conv2d_backward_filter).
memory::data_type filter_type_of(Pass pass, DType dtype) {
  return pass == Pass::backward_filter ? memory::data_type::f32 : data_type_of(dtype);
}

Descriptors descriptors(Pass pass, const Conv2DArgs& a) {
  const auto data = data_type_of(a.dtype), filter = filter_type_of(pass, a.dtype);
  Descriptors d;
  d.src = memory::desc({a.batch, a.in_channels, a.in_height, a.in_width}, data,
                       memory::format_tag::nhwc);
  d.dst = memory::desc({a.batch, a.out_channels, a.out_height, a.out_width}, data,
                       memory::format_tag::nhwc);
  const std::int64_t cg = a.in_channels / a.groups, og = a.out_channels / a.groups;
  if (a.groups == 1) {
    const memory::dims dims{a.out_channels, a.in_channels, a.kernel_height, a.kernel_width};
    d.user_filter = memory::desc(dims, filter, memory::format_tag::hwio);
    d.any_filter = memory::desc(dims, filter, memory::format_tag::any);
  } else {
    const memory::dims dims{a.groups, og, cg, a.kernel_height, a.kernel_width};
    d.user_filter = memory::desc(dims, filter, memory::format_tag::hwigo);
    d.any_filter = memory::desc(dims, filter, memory::format_tag::any);
  }
  d.strides = {a.stride_height, a.stride_width};
  d.dilates = {a.dilation_height - 1, a.dilation_width - 1};  // oneDNN counts the gaps
  d.padding_l = {a.pad_top, a.pad_left};
  d.padding_r = {a.pad_bottom, a.pad_right};
  return d;
}

dnnl::convolution_forward::primitive_desc forward_desc(const Descriptors& d,
                                                       const dnnl::primitive_attr& attr) {
  const dnnl::convolution_forward::desc desc(
      dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, d.src, d.any_filter,
      d.dst, d.strides, d.dilates, d.padding_l, d.padding_r);
  return dnnl::convolution_forward::primitive_desc(desc, attr, engine());
}

std::shared_ptr<ConvPlan> make_plan(Pass pass, const Conv2DArgs& a) {
  const Descriptors d = descriptors(pass, a);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  auto plan = std::make_shared<ConvPlan>();
  plan->user_filter_desc = d.user_filter;
  // The backward passes take the forward pass's description as a hint; a filter-gradient pass
  // of 16-bit data describes its forward with 16-bit weights too.
  const auto forward =
      forward_desc(pass == Pass::backward_filter ? descriptors(Pass::forward, a) : d, attr);
  switch (pass) {
    case Pass::forward:
      plan->primitive = dnnl::convolution_forward(forward);
      plan->filter_desc = forward.weights_desc();
      plan->src_desc = forward.src_desc();
      plan->dst_desc = forward.dst_desc();
      plan->scratchpad_desc = forward.scratchpad_desc();
      break;
    case Pass::backward_data: {
      const dnnl::convolution_backward_data::desc desc(dnnl::algorithm::convolution_direct, d.src,
                                                       d.any_filter, d.dst, d.strides, d.dilates,
                                                       d.padding_l, d.padding_r);
      const dnnl::convolution_backward_data::primitive_desc pd(desc, attr, engine(), forward);
      plan->primitive = dnnl::convolution_backward_data(pd);
      plan->filter_desc = pd.weights_desc();
      plan->src_desc = pd.diff_src_desc();
      plan->dst_desc = pd.diff_dst_desc();
      plan->scratchpad_desc = pd.scratchpad_desc();
      break;
    }
    case Pass::backward_filter: {
      const dnnl::convolution_backward_weights::desc desc(dnnl::algorithm::convolution_direct,
                                                          d.src, d.any_filter, d.dst, d.strides,
                                                          d.dilates, d.padding_l, d.padding_r);
      const dnnl::convolution_backward_weights::primitive_desc pd(desc, attr, engine(), forward);
      plan->primitive = dnnl::convolution_backward_weights(pd);
      plan->filter_desc = pd.diff_weights_desc();
      plan->src_desc = pd.src_desc();
      plan->dst_desc = pd.diff_dst_desc();
      plan->scratchpad_desc = pd.scratchpad_desc();
      break;
    }
  }
  if (plan->filter_desc != d.user_filter) {
    plan->filter_reorder = pass == Pass::backward_filter
                               ? dnnl::reorder(dnnl::reorder::primitive_desc(
                                     engine(), plan->filter_desc, engine(), d.user_filter))
                               : dnnl::reorder(dnnl::reorder::primitive_desc(
                                     engine(), d.user_filter, engine(), plan->filter_desc));
  }
  return plan;
}

std::shared_ptr<ConvPlan> cached_plan(Pass pass, const Conv2DArgs& a, int onednn_threads) {
  static std::mutex mutex;
  static std::map<PlanKey, std::shared_ptr<ConvPlan>> plans;
  const PlanKey key = plan_key(pass, a, onednn_threads);
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto it = plans.find(key);
    if (it != plans.end()) return it->second;
  }
  auto plan = make_plan(pass, a);  // outside the lock: creation is the slow part
  std::lock_guard<std::mutex> lock(mutex);
  if (plans.size() >= kMaxCachedPlans) plans.clear();
  return plans.emplace(key, plan).first->second;
}

const char* pass_name(Pass pass) {
  switch (pass) {
    case Pass::forward:
      return "conv2d";
    case Pass::backward_data:
      return "conv2d_backward_input";
    case Pass::backward_filter:
      return "conv2d_backward_filter";
  }
  return "conv2d";
}

// Runs one pass with oneDNN on `onednn_threads` threads of its own: `activation` is x (forward,
// filter gradient) or the filter (data gradient), `second` the filter or dy; `out` receives y, dx
// or dfilter.
void run_one(Pass pass, const Conv2DArgs& a, const void* activation, const void* second, void* out,
             int onednn_threads) {
  try {
    set_onednn_threads_here(onednn_threads);  // oneDNN sizes its OpenMP team from this setting
    const std::shared_ptr<ConvPlan> plan = cached_plan(pass, a, onednn_threads);
    dnnl::stream stream(engine());
    const memory scratchpad(plan->scratchpad_desc, engine(),
                            scratchpad_buffer().get(plan->scratchpad_desc.get_size()));
    auto filter_memory = [&](void* user) {
      const memory user_memory(plan->user_filter_desc, engine(), user);
      if (!plan->filter_reorder) return std::pair{user_memory, user_memory};
      const memory own(plan->filter_desc, engine(),
                       filter_buffer().get(plan->filter_desc.get_size()));
      return std::pair{user_memory, own};
    };
    switch (pass) {
      case Pass::forward: {
        auto [user, own] = filter_memory(const_cast<void*>(second));
        if (plan->filter_reorder) plan->filter_reorder->execute(stream, user, own);
        plan->primitive.execute(
            stream,
            {{DNNL_ARG_SRC, memory(plan->src_desc, engine(), const_cast<void*>(activation))},
             {DNNL_ARG_WEIGHTS, own},
             {DNNL_ARG_DST, memory(plan->dst_desc, engine(), out)},
             {DNNL_ARG_SCRATCHPAD, scratchpad}});
        break;
      }
      case Pass::backward_data: {
        auto [user, own] = filter_memory(const_cast<void*>(activation));
        if (plan->filter_reorder) plan->filter_reorder->execute(stream, user, own);
        plan->primitive.execute(
            stream,
            {{DNNL_ARG_DIFF_DST, memory(plan->dst_desc, engine(), const_cast<void*>(second))},
             {DNNL_ARG_WEIGHTS, own},
             {DNNL_ARG_DIFF_SRC, memory(plan->src_desc, engine(), out)},
             {DNNL_ARG_SCRATCHPAD, scratchpad}});
        break;
      }
      case Pass::backward_filter: {
        auto [user, own] = filter_memory(out);
        plan->primitive.execute(
            stream,
            {{DNNL_ARG_SRC, memory(plan->src_desc, engine(), const_cast<void*>(activation))},
             {DNNL_ARG_DIFF_DST, memory(plan->dst_desc, engine(), const_cast<void*>(second))},
             {DNNL_ARG_DIFF_WEIGHTS, own},
             {DNNL_ARG_SCRATCHPAD, scratchpad}});
        if (plan->filter_reorder) plan->filter_reorder->execute(stream, own, user);
        break;
      }
    }
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(cat(pass_name(pass), ": oneDNN failed (status ", static_cast<int>(e.status), ": ",
                    e.what(), ") for input (", a.batch, ", ", a.in_height, ", ", a.in_width, ", ",
                    a.in_channels, "), filter (", a.kernel_height, ", ", a.kernel_width, ", ",
                    a.in_channels / a.groups, ", ", a.out_channels, ")"));
  }
}

/// Multiply-adds below which a convolution runs on one thread: waking a worker costs more.
constexpr std::int64_t kSerialMacs = 1 << 18;

std::int64_t macs(const Conv2DArgs& a) {
  return a.batch * a.out_height * a.out_width * a.out_channels * a.kernel_height * a.kernel_width *
         (a.in_channels / a.groups);
}

// How a pass is spread over the threads: a batch of at least as many images as threads is split
// into one slice per thread, each run by oneDNN on one thread (ember's workers, which sleep when
// idle: kernels/thread_pool.h); a smaller batch (one image at inference) runs in oneDNN's own
// OpenMP team, the only way to use several threads for it.
struct Split {
  std::int64_t slices;  // 1: one call
  int onednn_threads;
};

Split split_for(const Conv2DArgs& a) {
  const int threads = max_threads();
  if (threads <= 1 || macs(a) < kSerialMacs) return {1, 1};
  if (a.batch < threads) return {1, threads};
  return {threads, 1};
}

Conv2DArgs slice_of(const Conv2DArgs& a, std::int64_t begin, std::int64_t end) {
  Conv2DArgs part = a;
  part.batch = end - begin;
  return part;
}

std::int64_t image_elements(const Conv2DArgs& a) {
  return a.in_height * a.in_width * a.in_channels;
}
std::int64_t output_elements(const Conv2DArgs& a) {
  return a.out_height * a.out_width * a.out_channels;
}
std::int64_t filter_elements(const Conv2DArgs& a) {
  return a.kernel_height * a.kernel_width * (a.in_channels / a.groups) * a.out_channels;
}

/// The element `offset` elements into `data` of `size`-byte elements.
template <class Pointer>
Pointer at(Pointer data, std::int64_t offset, std::size_t size) {
  using Byte =
      std::conditional_t<std::is_const_v<std::remove_pointer_t<Pointer>>, const char, char>;
  return static_cast<Byte*>(data) + offset * static_cast<std::int64_t>(size);
}

/// Rounds n float32 values into elements [offset, offset + n) of a 16-bit array.
void round_to(DType dtype, const float* from, void* out, std::int64_t offset, std::int64_t n) {
  if (dtype == DType::bfloat16) {
    BFloat16* to = static_cast<BFloat16*>(out) + offset;
    for (std::int64_t i = 0; i < n; ++i) to[i] = BFloat16(from[i]);
  } else {
    Float16* to = static_cast<Float16*>(out) + offset;
    for (std::int64_t i = 0; i < n; ++i) to[i] = Float16(from[i]);
  }
}

// Runs body(slice, its first image, its arguments) for each of `slices` slices of the batch, on
// ember's workers.
template <class Body>
void for_each_slice(const Conv2DArgs& a, std::int64_t slices, const Body& body) {
  const auto slice = [&](std::int64_t s) {
    const FlushDenormals flush;
    const std::int64_t begin = a.batch * s / slices, end = a.batch * (s + 1) / slices;
    body(s, begin, slice_of(a, begin, end));
  };
  run_chunks(slices, ChunkTask(slice));
}

// Whether all three passes of a small 16-bit convolution can be created (oneDNN says
// "unimplemented" where the processor lacks the instructions its kernels need).
bool all_passes_exist(DType dtype) {
  Conv2DArgs a;
  a.dtype = dtype;
  a.batch = 2;
  a.in_height = a.in_width = a.out_height = a.out_width = 8;
  a.in_channels = a.out_channels = 16;
  a.kernel_height = a.kernel_width = 3;
  a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
  try {
    for (Pass pass : {Pass::forward, Pass::backward_data, Pass::backward_filter}) {
      make_plan(pass, a);
    }
    return true;
  } catch (const dnnl::error&) {
    return false;
  }
}

}  // namespace

bool onednn_conv2d_supports(DType dtype) {
  static const bool bf16 = all_passes_exist(DType::bfloat16);
  static const bool f16 = all_passes_exist(DType::float16);
  return dtype == DType::bfloat16 ? bf16 : dtype == DType::float16 ? f16 : dtype == DType::float32;
}

void onednn_conv2d_forward(const Conv2DArgs& a, const void* x, const void* filter, void* y) {
  const Split split = split_for(a);
  if (split.slices == 1) return run_one(Pass::forward, a, x, filter, y, split.onednn_threads);
  const std::size_t size = dtype_size(a.dtype);
  for_each_slice(a, split.slices, [&](std::int64_t, std::int64_t begin, const Conv2DArgs& part) {
    run_one(Pass::forward, part, at(x, begin * image_elements(a), size), filter,
            at(y, begin * output_elements(a), size), 1);
  });
}

void onednn_conv2d_backward_data(const Conv2DArgs& a, const void* filter, const void* dy,
                                 void* dx) {
  const Split split = split_for(a);
  if (split.slices == 1)
    return run_one(Pass::backward_data, a, filter, dy, dx, split.onednn_threads);
  const std::size_t size = dtype_size(a.dtype);
  for_each_slice(a, split.slices, [&](std::int64_t, std::int64_t begin, const Conv2DArgs& part) {
    run_one(Pass::backward_data, part, filter, at(dy, begin * output_elements(a), size),
            at(dx, begin * image_elements(a), size), 1);
  });
}

void onednn_conv2d_backward_filter(const Conv2DArgs& a, const void* x, const void* dy,
                                   void* dfilter) {
  const Split split = split_for(a);
  const bool wide = a.dtype == DType::float32;  // else the gradient is float32 until the end
  const std::int64_t n = filter_elements(a);
  if (split.slices == 1 && wide)
    return run_one(Pass::backward_filter, a, x, dy, dfilter, split.onednn_threads);
  // Each slice's filter gradient, summed in slice order (the same order for the same thread
  // count); the first slice of a float32 pass writes into dfilter itself.
  const std::int64_t buffers = wide ? split.slices - 1 : split.slices;
  thread_local ThreadBuffer partial_buffer;
  float* partial = static_cast<float*>(
      partial_buffer.get(static_cast<std::size_t>(n * buffers) * sizeof(float)));
  float* first = wide ? static_cast<float*>(dfilter) : partial;
  float* rest = wide ? partial : partial + n;
  if (split.slices == 1) {
    run_one(Pass::backward_filter, a, x, dy, first, split.onednn_threads);
  } else {
    const std::size_t size = dtype_size(a.dtype);
    for_each_slice(a, split.slices,
                   [&](std::int64_t s, std::int64_t begin, const Conv2DArgs& part) {
                     float* into = s == 0 ? first : rest + (s - 1) * n;
                     run_one(Pass::backward_filter, part, at(x, begin * image_elements(a), size),
                             at(dy, begin * output_elements(a), size), into, 1);
                   });
  }
  parallel_for(n, kParallelGrain, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t s = 1; s < split.slices; ++s) {
      const float* from = rest + (s - 1) * n;
      for (std::int64_t i = begin; i < end; ++i) first[i] += from[i];
    }
    if (!wide) round_to(a.dtype, first + begin, dfilter, begin, end - begin);
  });
}

}  // namespace ember::cpu

#endif  // EMBER_WITH_ONEDNN
