#include "layers/merging/merge_layers.h"

#include "core/error.h"
#include "core/ops.h"

namespace ember::layers {
namespace {

const char* merge_class(MergeMode mode) {
  switch (mode) {
    case MergeMode::add:
      return "Add";
    case MergeMode::subtract:
      return "Subtract";
    case MergeMode::multiply:
      return "Multiply";
    case MergeMode::average:
      return "Average";
    case MergeMode::maximum:
      return "Maximum";
  }
  return "Merge";
}

std::string shapes_string(const std::vector<Shape>& shapes) {
  std::string out = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i)
    out += (i ? ", " : "") + keras::shape_string(shapes[i]);
  return out + "]";
}

// NumPy broadcasting where -1 (unknown) meets a known size: a 1 yields to the other, otherwise
// the known size is taken (Keras' rule for merge layers).
Shape broadcast_symbolic(const std::vector<Shape>& shapes) {
  int rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.rank());
  std::vector<std::int64_t> dims(static_cast<std::size_t>(rank), 1);
  for (const Shape& s : shapes) {
    for (int i = 0; i < s.rank(); ++i) {
      std::int64_t& d = dims[rank - s.rank() + i];
      const std::int64_t e = s[i];
      if (e == 1 || e == d) continue;
      if (d == 1 || d == -1 || e == -1) {
        d = (d == -1 && e == -1) ? -1 : (d == -1 || d == 1 ? e : d);
        continue;
      }
      throw ShapeError(cat("inputs with shapes that do not broadcast: ", shapes_string(shapes)));
    }
  }
  return Shape(dims);
}

}  // namespace

MergeLayer::MergeLayer(MergeMode mode, keras::LayerOptions options)
    : Layer(std::move(options)), mode_(mode) {
  assign_default_name(keras::snake_case(merge_class(mode)));
}

std::string MergeLayer::class_name() const { return merge_class(mode_); }

void MergeLayer::check_count(std::size_t count) const {
  if (mode_ == MergeMode::subtract && count != 2) {
    throw ShapeError(cat("layer '", name(), "' (Subtract) takes exactly 2 inputs, got ", count));
  }
  if (count < 1)
    throw ShapeError(
        cat("layer '", name(), "' (", class_name(), ") needs a list of at least 1 input"));
}

Tensor MergeLayer::call(const Tensor&) {
  throw Error(cat("layer '", name(), "' (", class_name(),
                  ") is a merge layer: call it on a list of inputs, ", "e.g. layer({a, b})"));
}

std::vector<Tensor> MergeLayer::call(const std::vector<Tensor>& inputs, bool) {
  check_count(inputs.size());
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  try {
    broadcast_symbolic(shapes);
  } catch (const ShapeError& e) {
    throw ShapeError(cat("layer '", name(), "' (", class_name(), "): ", e.what()));
  }
  Tensor out = inputs[0];
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    switch (mode_) {
      case MergeMode::add:
      case MergeMode::average:
        out = out + inputs[i];
        break;
      case MergeMode::subtract:
        out = out - inputs[i];
        break;
      case MergeMode::multiply:
        out = out * inputs[i];
        break;
      case MergeMode::maximum:
        out = ember::maximum(out, inputs[i]);
        break;
    }
  }
  if (mode_ == MergeMode::average) out = out / static_cast<double>(inputs.size());
  return {out};
}

std::vector<Shape> MergeLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  check_count(input_shapes.size());
  return {broadcast_symbolic(input_shapes)};
}

Handle<MergeLayer> Add(keras::LayerOptions options) {
  return keras::make<MergeLayer>(MergeMode::add, std::move(options));
}
Handle<MergeLayer> Subtract(keras::LayerOptions options) {
  return keras::make<MergeLayer>(MergeMode::subtract, std::move(options));
}
Handle<MergeLayer> Multiply(keras::LayerOptions options) {
  return keras::make<MergeLayer>(MergeMode::multiply, std::move(options));
}
Handle<MergeLayer> Average(keras::LayerOptions options) {
  return keras::make<MergeLayer>(MergeMode::average, std::move(options));
}
Handle<MergeLayer> Maximum(keras::LayerOptions options) {
  return keras::make<MergeLayer>(MergeMode::maximum, std::move(options));
}

ConcatenateLayer::ConcatenateLayer(std::int64_t axis, keras::LayerOptions options)
    : Layer(std::move(options)), axis_(axis) {
  assign_default_name("concatenate");
}

Tensor ConcatenateLayer::call(const Tensor&) {
  throw Error(
      cat("layer '", name(),
          "' (Concatenate) is a merge layer: call it on a list of inputs, e.g. layer({a, b})"));
}

std::vector<Tensor> ConcatenateLayer::call(const std::vector<Tensor>& inputs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  try {
    compute_output_shape(shapes);
  } catch (const ShapeError& e) {
    throw ShapeError(cat("layer '", name(), "' (Concatenate): ", e.what()));
  }
  return {concat(inputs, axis_)};
}

std::vector<Shape> ConcatenateLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty()) throw ShapeError("needs a list of at least 1 input");
  const int rank = input_shapes[0].rank();
  const int axis = normalize_axis(axis_, rank, "Concatenate");
  std::vector<std::int64_t> dims = input_shapes[0].dims();
  for (std::size_t k = 1; k < input_shapes.size(); ++k) {
    const Shape& s = input_shapes[k];
    if (s.rank() != rank)
      throw ShapeError(cat("inputs of different ranks: ", shapes_string(input_shapes)));
    for (int i = 0; i < rank; ++i) {
      if (i == axis) {
        dims[i] = (dims[i] < 0 || s[i] < 0) ? -1 : dims[i] + s[i];
      } else if (dims[i] >= 0 && s[i] >= 0 && dims[i] != s[i]) {
        throw ShapeError(cat("inputs must match in every dimension but the concatenation axis ",
                             axis_, ", got ", shapes_string(input_shapes)));
      } else if (dims[i] < 0) {
        dims[i] = s[i];
      }
    }
  }
  return {Shape(dims)};
}

keras::Config ConcatenateLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

Handle<ConcatenateLayer> Concatenate(std::int64_t axis, keras::LayerOptions options) {
  return keras::make<ConcatenateLayer>(axis, std::move(options));
}

keras::KerasTensor add(const std::vector<keras::KerasTensor>& inputs, keras::LayerOptions options) {
  return Add(std::move(options))(inputs).at(0);
}
keras::KerasTensor subtract(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options) {
  return Subtract(std::move(options))(inputs).at(0);
}
keras::KerasTensor multiply(const std::vector<keras::KerasTensor>& inputs,
                            keras::LayerOptions options) {
  return Multiply(std::move(options))(inputs).at(0);
}
keras::KerasTensor average(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options) {
  return Average(std::move(options))(inputs).at(0);
}
keras::KerasTensor maximum(const std::vector<keras::KerasTensor>& inputs,
                           keras::LayerOptions options) {
  return Maximum(std::move(options))(inputs).at(0);
}
keras::KerasTensor concatenate(const std::vector<keras::KerasTensor>& inputs, std::int64_t axis,
                               keras::LayerOptions options) {
  return Concatenate(axis, std::move(options))(inputs).at(0);
}

Tensor add(const std::vector<Tensor>& inputs) { return Add()(inputs).at(0); }
Tensor subtract(const std::vector<Tensor>& inputs) { return Subtract()(inputs).at(0); }
Tensor multiply(const std::vector<Tensor>& inputs) { return Multiply()(inputs).at(0); }
Tensor average(const std::vector<Tensor>& inputs) { return Average()(inputs).at(0); }
Tensor maximum(const std::vector<Tensor>& inputs) { return Maximum()(inputs).at(0); }
Tensor concatenate(const std::vector<Tensor>& inputs, std::int64_t axis) {
  return Concatenate(axis)(inputs).at(0);
}

}  // namespace ember::layers
