#include "core/ops/linalg.h"

#include <algorithm>
#include <numeric>

#include "core/autodiff/gradients.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/op_support.h"
#include "core/ops/run_op.h"
#include "core/ops/shape.h"

namespace ember {

namespace {

std::vector<std::int64_t> leading(const Shape& s, int drop) {
  return std::vector<std::int64_t>(s.dims().begin(), s.dims().end() - drop);
}

// The product's sizes for a and b of rank >= 2 (after the checks of matmul).
struct ProductShape {
  std::int64_t m = 0, n = 0, k = 0, kb = 0;
  Shape batch_a, batch_b;
};

ProductShape product_shape(const Tensor& a, const Tensor& b, const MatmulOptions& options) {
  const bool ta = options.transpose_a, tb = options.transpose_b;
  ProductShape p;
  p.m = ta ? a.shape(-1) : a.shape(-2);
  p.k = ta ? a.shape(-2) : a.shape(-1);
  p.kb = tb ? b.shape(-1) : b.shape(-2);
  p.n = tb ? b.shape(-2) : b.shape(-1);
  p.batch_a = Shape(leading(a.shape(), 2));
  p.batch_b = Shape(leading(b.shape(), 2));
  return p;
}

// A single matrix (batch of one) is reused for every matrix of the other operand (stride 0).
bool reused(const Shape& own_batch, std::int64_t batch_count) {
  return own_batch.num_elements() == 1 && batch_count != 1;
}

// The product of operands of rank >= 2 whose batches are equal, or one of them a single matrix.
Tensor matmul_forward(const Tensor& a, const Tensor& b, const MatmulOptions& options) {
  const ProductShape p = product_shape(a, b, options);
  const Shape batch = broadcast_shapes(p.batch_a, p.batch_b, "matmul (batch dimensions)");
  const std::int64_t batch_count = batch.num_elements();
  std::vector<std::int64_t> out_dims = batch.dims();
  out_dims.push_back(p.m);
  out_dims.push_back(p.n);
  if (p.k == 0) return zeros(Shape(out_dims), a.dtype()).to(a.device());
  Tensor out = detail::empty(Shape(out_dims), a.dtype(), a.device());
  if (out.size() == 0) return out;
  GemmArgs args;
  args.stride_a = reused(p.batch_a, batch_count) ? 0 : a.shape(-2) * a.shape(-1);
  args.stride_b = reused(p.batch_b, batch_count) ? 0 : b.shape(-2) * b.shape(-1);
  args.dtype = a.dtype();
  args.transpose_a = options.transpose_a;
  args.transpose_b = options.transpose_b;
  args.m = p.m;
  args.n = p.n;
  args.k = p.k;
  args.batch = batch_count;
  args.a = a.raw_data();
  args.lda = a.shape(-1);
  args.b = b.raw_data();
  args.ldb = b.shape(-1);
  args.c = detail::mutable_data(out);
  args.ldc = p.n;
  args.stride_c = p.m * p.n;
  args.allow_tf32 = config::tf32_enabled();
  detail::backend_of(out).gemm(args);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in, MatmulOptions options) {
  detail::check_defined(a_in, "matmul");
  detail::check_defined(b_in, "matmul");
  detail::check_same_device("matmul", a_in, b_in);
  detail::check_same_dtype("matmul", a_in, b_in);
  detail::check_dtype_in(
      "matmul", a_in,
      {DType::float32, DType::float64, DType::float16, DType::bfloat16, DType::int32, DType::int64},
      "float32, float64, float16, bfloat16, int32 or int64");
  if (a_in.rank() == 0 || b_in.rank() == 0) {
    throw ShapeError(cat("matmul: operands must have rank >= 1, got shapes ", a_in.shape(), " x ",
                         b_in.shape(), "; use multiply for scalars"));
  }
  // NumPy's rule for vectors: a row on the left, a column on the right, dropped afterwards.
  const bool a_vector = a_in.rank() == 1, b_vector = b_in.rank() == 1;
  const Tensor a = a_vector ? reshape(a_in, {1, a_in.shape(0)}) : a_in;
  const Tensor b = b_vector ? reshape(b_in, {b_in.shape(0), 1}) : b_in;
  const MatmulOptions matrix_options{.transpose_a = options.transpose_a && !a_vector,
                                     .transpose_b = options.transpose_b && !b_vector};
  const ProductShape p = product_shape(a, b, matrix_options);
  if (p.k != p.kb) {
    throw ShapeError(cat("matmul: inner dimensions differ: ", a_in.shape(), " x ", b_in.shape(),
                         matrix_options.transpose_a || matrix_options.transpose_b
                             ? " (after the requested transposes)"
                             : "",
                         ": ", p.k, " vs ", p.kb));
  }
  const Shape batch = broadcast_shapes(p.batch_a, p.batch_b, "matmul (batch dimensions)");
  // The reshapes of vectors and the broadcasts of batches are ops of their own, done before the
  // product itself, so that tapes and traces see them: the product's gradient needs only its
  // own operands (see core/ops/run_op.h).
  if (a_vector || b_vector) {
    const Tensor out = matmul(a, b, matrix_options);
    std::vector<std::int64_t> dims = batch.dims();
    if (!a_vector) dims.push_back(p.m);
    if (!b_vector) dims.push_back(p.n);
    return reshape(out, Shape(dims));
  }
  // A batch that matches the result walks its matrices; a single matrix is reused (stride 0);
  // anything else is broadcast into a new tensor first.
  const std::int64_t batch_count = batch.num_elements();
  auto needs_broadcast = [&](const Shape& own_batch) {
    return !reused(own_batch, batch_count) && own_batch != batch;
  };
  if (needs_broadcast(p.batch_a) || needs_broadcast(p.batch_b)) {
    auto full = [&](const Tensor& t, const Shape& own_batch) {
      if (!needs_broadcast(own_batch)) return t;
      std::vector<std::int64_t> dims = batch.dims();
      dims.push_back(t.shape(-2));
      dims.push_back(t.shape(-1));
      return broadcast_to(t, Shape(dims));
    };
    return matmul(full(a, p.batch_a), full(b, p.batch_b), options);
  }
  return detail::run_op("matmul", matmul_forward, grad::matmul_gradient, a, b, options);
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
