// The transposes of index() and gather(): the gradient ops of slicing and gathering. They are
// ops in their own right (recorded, differentiable) so that higher derivatives work through them.
#include "core/autodiff/autodiff.h"
#include "core/ops/op_support.h"
#include "core/ops/shape.h"
#include "core/function/trace.h"

namespace ember::detail {

Tensor index_backward(const Tensor& g, const Shape& shape, const std::vector<Index>& entries) {
  EMBER_TRACE_OP("index_backward", index_backward, g, shape, entries);
  const IndexRegion region = resolve_index(shape, entries);
  Tensor out = full(shape, g.dtype(), g.device(), ScalarValue{});
  copy_region(g, 0, contiguous_layout(region.shape), out, region.offset, region.layout);
  autodiff::maybe_record("index_backward", {&g}, out, [&] {
    return [entries](const Tensor& gg, autodiff::NeedsMask) -> autodiff::Gradients {
      return {gg.index(entries)};
    };
  });
  return out;
}

Tensor gather_backward(const Tensor& g, const Tensor& indices, int axis, const Shape& shape) {
  EMBER_TRACE_OP("gather_backward", gather_backward, g, indices, axis, shape);
  Tensor out = full(shape, g.dtype(), g.device(), ScalarValue{});
  std::int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= shape.dims()[i];
  for (int i = axis + 1; i < shape.rank(); ++i) inner *= shape.dims()[i];
  if (g.size() > 0) {
    backend_of(out).scatter_add(g.dtype(), g.raw_data(), outer, shape.dims()[axis], inner,
                                indices.dtype(), indices.raw_data(), indices.size(),
                                mutable_data(out));
  }
  autodiff::maybe_record("gather_backward", {&g}, out, [&] {
    return [indices, axis](const Tensor& gg, autodiff::NeedsMask) -> autodiff::Gradients {
      return {gather(gg, indices, axis)};
    };
  });
  return out;
}

}  // namespace ember::detail
