// onednn_versions: the same float32 and bfloat16 convolution and matmul timed through whichever
// oneDNN this is compiled against, to compare Debian's oneDNN 2.6 with a current one (issue 19,
// item 5). Built and run by bench/onednn/compare.sh, once per oneDNN; not part of ember's build.
// Prints the version, the ISA oneDNN reports, and GFLOP/s per case (median of 20 runs).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {

dnnl::engine engine(dnnl::engine::kind::cpu, 0);

double median_seconds(const std::function<void()>& run) {
  for (int i = 0; i < 3; ++i) run();  // warm up (JIT, pages)
  std::vector<double> t;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    run();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// A convolution pass of the toy ResNet's second layer: (64, 30, 30, 32) -> 64 channels, 3x3,
// valid, NHWC, filter in the layout the primitive wants.
double conv_gflops(dt type, const char* pass) {
  const memory::dims src{64, 32, 30, 30}, wei{64, 32, 3, 3}, dst{64, 64, 28, 28};
  const memory::dims strides{1, 1}, pad{0, 0};
  const memory::desc s(src, type, tag::nhwc), d(dst, type, tag::nhwc);
  const memory::desc w_any(wei, type, tag::any);
  const memory::desc w_grad(wei, dt::f32, tag::any);
  dnnl::stream stream(engine);
#if DNNL_VERSION_MAJOR >= 3
  const dnnl::convolution_forward::primitive_desc fwd(engine, dnnl::prop_kind::forward_training,
                                                      dnnl::algorithm::convolution_direct, s, w_any,
                                                      d, strides, pad, pad);
#else
  const dnnl::convolution_forward::primitive_desc fwd(
      dnnl::convolution_forward::desc(dnnl::prop_kind::forward_training,
                                      dnnl::algorithm::convolution_direct, s, w_any, d, strides,
                                      pad, pad),
      engine);
#endif
  const std::string which = pass;
  std::function<void()> run;
  std::vector<memory> keep;
  if (which == "forward") {
    memory ms(fwd.src_desc(), engine), mw(fwd.weights_desc(), engine), md(fwd.dst_desc(), engine);
    dnnl::convolution_forward p(fwd);
    run = [=, &stream]() mutable {
      p.execute(stream, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}});
      stream.wait();
    };
  } else {
#if DNNL_VERSION_MAJOR >= 3
    const dnnl::convolution_backward_weights::primitive_desc bwd(
        engine, dnnl::algorithm::convolution_direct, s, w_grad, d, strides, pad, pad, fwd);
#else
    const dnnl::convolution_backward_weights::primitive_desc bwd(
        dnnl::convolution_backward_weights::desc(dnnl::algorithm::convolution_direct, s, w_grad, d,
                                                 strides, pad, pad),
        engine, fwd);
#endif
    memory ms(bwd.src_desc(), engine), mdd(bwd.diff_dst_desc(), engine),
        mdw(bwd.diff_weights_desc(), engine);
    dnnl::convolution_backward_weights p(bwd);
    run = [=, &stream]() mutable {
      p.execute(stream,
                {{DNNL_ARG_SRC, ms}, {DNNL_ARG_DIFF_DST, mdd}, {DNNL_ARG_DIFF_WEIGHTS, mdw}});
      stream.wait();
    };
  }
  const double flops = 2.0 * 64 * 28 * 28 * 64 * 3 * 3 * 32;
  return flops / median_seconds(run) / 1e9;
}

double matmul_gflops(dt type, memory::dim n) {
  const memory::desc a({n, n}, type, tag::ab), b({n, n}, type, tag::ab), c({n, n}, type, tag::ab);
  dnnl::stream stream(engine);
#if DNNL_VERSION_MAJOR >= 3
  const dnnl::matmul::primitive_desc pd(engine, a, b, c);
#else
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), engine);
#endif
  memory ma(a, engine), mb(b, engine), mc(c, engine);
  dnnl::matmul p(pd);
  const double seconds = median_seconds([&] {
    p.execute(stream, {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    stream.wait();
  });
  return 2.0 * n * n * n / seconds / 1e9;
}

}  // namespace

int main() {
  const dnnl_version_t* v = dnnl_version();
  std::printf("oneDNN %d.%d.%d, ISA %d (dnnl_get_effective_cpu_isa)\n", v->major, v->minor,
              v->patch, static_cast<int>(dnnl_get_effective_cpu_isa()));
  for (dt type : {dt::f32, dt::bf16}) {
    const char* name = type == dt::f32 ? "f32 " : "bf16";
    std::printf("  %s conv forward        %8.1f GFLOP/s\n", name, conv_gflops(type, "forward"));
    std::printf("  %s conv filter grad    %8.1f GFLOP/s\n", name, conv_gflops(type, "filter"));
    std::printf("  %s matmul 1024^3       %8.1f GFLOP/s\n", name, matmul_gflops(type, 1024));
  }
  return 0;
}
