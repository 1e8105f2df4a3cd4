#include "core/ops/linalg.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/autodiff/gradients.h"
#include "core/ops/op_support.h"
#include "core/ops/creation.h"
#include "core/ops/shape.h"
#include "core/function/trace.h"

namespace ember {

namespace {

std::vector<std::int64_t> leading(const Shape& s, int drop) {
  return std::vector<std::int64_t>(s.dims().begin(), s.dims().end() - drop);
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in, MatmulOptions options) {
  detail::check_defined(a_in, "matmul");
  detail::check_defined(b_in, "matmul");
  detail::check_same_device("matmul", a_in, b_in);
  detail::check_same_dtype("matmul", a_in, b_in);
  detail::check_dtype_in("matmul", a_in, {DType::float32, DType::float64, DType::int32, DType::int64},
                         "float32, float64, int32 or int64");
  if (a_in.rank() == 0 || b_in.rank() == 0) {
    throw ShapeError(cat("matmul: operands must have rank >= 1, got shapes ", a_in.shape(), " x ",
                         b_in.shape(), "; use multiply for scalars"));
  }
  // NumPy's rule for vectors: a row on the left, a column on the right, dropped afterwards.
  const bool a_vector = a_in.rank() == 1, b_vector = b_in.rank() == 1;
  const Tensor a = a_vector ? reshape(a_in, {1, a_in.shape(0)}) : a_in;
  const Tensor b = b_vector ? reshape(b_in, {b_in.shape(0), 1}) : b_in;
  const bool ta = options.transpose_a && !a_vector, tb = options.transpose_b && !b_vector;
  const std::int64_t m = ta ? a.shape(-1) : a.shape(-2), k = ta ? a.shape(-2) : a.shape(-1);
  const std::int64_t kb = tb ? b.shape(-1) : b.shape(-2), n = tb ? b.shape(-2) : b.shape(-1);
  if (k != kb) {
    throw ShapeError(cat("matmul: inner dimensions differ: ", a_in.shape(), " x ", b_in.shape(),
                         ta || tb ? " (after the requested transposes)" : "", ": ", k, " vs ", kb));
  }
  const Shape batch_a(leading(a.shape(), 2)), batch_b(leading(b.shape(), 2));
  const Shape batch = broadcast_shapes(batch_a, batch_b, "matmul (batch dimensions)");
  // The reshapes of vectors and the broadcasts of batches are ops of their own, done before the
  // product itself, so that tapes and traces see them: nothing the gradient needs stays hidden
  // inside this op (see core/trace.h).
  if (a_vector || b_vector) {
    const Tensor out = matmul(a, b, {.transpose_a = ta, .transpose_b = tb});
    std::vector<std::int64_t> dims = batch.dims();
    if (!a_vector) dims.push_back(m);
    if (!b_vector) dims.push_back(n);
    return reshape(out, Shape(dims));
  }
  const std::int64_t batch_count = batch.num_elements();
  // A batch that matches the result walks its matrices; a single matrix is reused (stride 0);
  // anything else is broadcast into a new tensor first.
  auto needs_broadcast = [&](const Shape& own_batch) {
    return !(own_batch.num_elements() == 1 && batch_count != 1) && own_batch != batch;
  };
  if (needs_broadcast(batch_a) || needs_broadcast(batch_b)) {
    auto full = [&](const Tensor& t, const Shape& own_batch) {
      if (!needs_broadcast(own_batch)) return t;
      std::vector<std::int64_t> dims = batch.dims();
      dims.push_back(t.shape(-2));
      dims.push_back(t.shape(-1));
      return broadcast_to(t, Shape(dims));
    };
    return matmul(full(a, batch_a), full(b, batch_b), options);
  }
  EMBER_TRACE_OP("matmul", matmul, a_in, b_in, options);
  GemmArgs args;
  const bool reuse_a = batch_a.num_elements() == 1 && batch_count != 1;
  const bool reuse_b = batch_b.num_elements() == 1 && batch_count != 1;
  args.stride_a = reuse_a ? 0 : a.shape(-2) * a.shape(-1);
  args.stride_b = reuse_b ? 0 : b.shape(-2) * b.shape(-1);

  std::vector<std::int64_t> out_dims = batch.dims();
  out_dims.push_back(m);
  out_dims.push_back(n);
  Tensor out = (k == 0) ? zeros(Shape(out_dims), a.dtype()).to(a.device())
                        : detail::empty(Shape(out_dims), a.dtype(), a.device());
  if (out.size() > 0 && k > 0) {
    args.dtype = a.dtype();
    args.transpose_a = ta;
    args.transpose_b = tb;
    args.m = m;
    args.n = n;
    args.k = k;
    args.batch = batch_count;
    args.a = a.raw_data();
    args.lda = a.shape(-1);
    args.b = b.raw_data();
    args.ldb = b.shape(-1);
    args.c = detail::mutable_data(out);
    args.ldc = n;
    args.stride_c = m * n;
    args.allow_tf32 = config::tf32_enabled();
    detail::backend_of(out).gemm(args);
  }
  autodiff::maybe_record("matmul", {&a, &b}, out, [&] { return grad::matmul_backward(a, b, ta, tb); });
  return out;
}

Tensor tensordot(const Tensor& a, const Tensor& b, int axes) {
  detail::check_defined(a, "tensordot");
  detail::check_defined(b, "tensordot");
  if (axes < 0 || axes > a.rank() || axes > b.rank()) {
    throw ShapeError(cat("tensordot: axes=", axes, " must be between 0 and the smaller rank of ",
                         a.shape(), " and ", b.shape()));
  }
  std::vector<std::int64_t> axes_a, axes_b;
  for (int i = 0; i < axes; ++i) {
    axes_a.push_back(a.rank() - axes + i);
    axes_b.push_back(i);
  }
  return tensordot(a, b, axes_a, axes_b);
}

Tensor tensordot(const Tensor& a, const Tensor& b, const std::vector<std::int64_t>& axes_a_in,
                 const std::vector<std::int64_t>& axes_b_in) {
  detail::check_defined(a, "tensordot");
  detail::check_defined(b, "tensordot");
  if (axes_a_in.size() != axes_b_in.size()) {
    throw ShapeError(cat("tensordot: ", axes_a_in.size(), " axes of a paired with ",
                         axes_b_in.size(), " axes of b"));
  }
  std::vector<std::int64_t> axes_a, axes_b;
  std::int64_t contracted = 1;
  for (std::size_t i = 0; i < axes_a_in.size(); ++i) {
    axes_a.push_back(normalize_axis(axes_a_in[i], a.rank(), "tensordot"));
    axes_b.push_back(normalize_axis(axes_b_in[i], b.rank(), "tensordot"));
    if (a.shape(static_cast<int>(axes_a.back())) != b.shape(static_cast<int>(axes_b.back()))) {
      throw ShapeError(cat("tensordot: axis ", axes_a_in[i], " of ", a.shape(), " and axis ",
                           axes_b_in[i], " of ", b.shape(), " differ in size"));
    }
    contracted *= a.shape(static_cast<int>(axes_a.back()));
  }
  // a -> [free_a..., contracted...] as a matrix; b -> [contracted..., free_b...].
  auto free_axes = [](int rank, const std::vector<std::int64_t>& used) {
    std::vector<std::int64_t> free;
    for (int i = 0; i < rank; ++i) {
      if (std::find(used.begin(), used.end(), i) == used.end()) free.push_back(i);
    }
    return free;
  };
  const auto free_a = free_axes(a.rank(), axes_a), free_b = free_axes(b.rank(), axes_b);
  std::vector<std::int64_t> perm_a = free_a, perm_b = axes_b, out_dims;
  perm_a.insert(perm_a.end(), axes_a.begin(), axes_a.end());
  perm_b.insert(perm_b.end(), free_b.begin(), free_b.end());
  std::int64_t rows = 1, cols = 1;
  for (std::int64_t i : free_a) {
    rows *= a.shape(static_cast<int>(i));
    out_dims.push_back(a.shape(static_cast<int>(i)));
  }
  for (std::int64_t i : free_b) {
    cols *= b.shape(static_cast<int>(i));
    out_dims.push_back(b.shape(static_cast<int>(i)));
  }
  const Tensor am = reshape(transpose(a, perm_a), {rows, contracted});
  const Tensor bm = reshape(transpose(b, perm_b), {contracted, cols});
  return reshape(matmul(am, bm), Shape(out_dims));
}

}  // namespace ember
