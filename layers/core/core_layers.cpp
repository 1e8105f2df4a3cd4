#include "layers/core/core_layers.h"

#include "core/error.h"
#include "core/ops.h"

namespace ember::layers {
namespace {

keras::Config initializer_config(const initializers::InitializerRef& init) {
  return {{"class_name", init.get().class_name()}, {"config", init.get().get_config()}};
}

keras::Config regularizer_config(const regularizers::RegularizerRef& r) {
  if (!r) return nullptr;
  return {{"class_name", r.get()->class_name()}, {"config", r.get()->get_config()}};
}

}  // namespace

keras::LayerOptions options_from_config(const keras::Config& config) {
  // The dtype policy is set by layer_from_config, for every layer alike.
  return {.name = config.value("name", std::string()),
          .trainable = config.value("trainable", true)};
}

DenseLayer::DenseLayer(std::int64_t units, DenseOptions options)
    : Layer({options.name, options.trainable, options.input_shape, options.dtype}),
      units_(units),
      options_(std::move(options)) {
  assign_default_name("dense");
  if (units <= 0) throw Error(cat("Dense: units must be a positive integer, got ", units));
}

void DenseLayer::build(const Shape& input_shape) {
  if (input_shape.rank() < 1 || input_shape[-1] < 0) {
    throw ShapeError(cat("Dense: the last input dimension must be known, got input shape ",
                         keras::shape_string(input_shape)));
  }
  kernel = add_weight("kernel", {input_shape[-1], units_}, options_.kernel_initializer, true,
                      options_.kernel_regularizer);
  if (options_.use_bias) {
    bias = add_weight("bias", {units_}, options_.bias_initializer, true, options_.bias_regularizer);
  }
}

Tensor DenseLayer::call(const Tensor& inputs) {
  if (inputs.rank() < 1 || inputs.shape(-1) != kernel.shape(0)) {
    throw ShapeError(cat("layer '", name(), "' (Dense) expects inputs whose last dimension is ",
                         kernel.shape(0), ", got shape ", inputs.shape()));
  }
  Tensor y = matmul(inputs, kernel);
  if (options_.use_bias) y = y + bias;
  return options_.activation.is_linear() ? y : options_.activation(y);
}

std::vector<Shape> DenseLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& in = input_shapes.at(0);
  if (in.rank() < 1 || (kernel.defined() && in[-1] != kernel.shape(0))) {
    throw ShapeError(cat("expected inputs whose last dimension is ",
                         kernel.defined() ? kernel.shape(0) : -1, ", got shape ",
                         keras::shape_string(in)));
  }
  std::vector<std::int64_t> dims = in.dims();
  dims.back() = units_;
  return {Shape(dims)};
}

keras::Config DenseLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["units"] = units_;
  c["activation"] = options_.activation.name();
  c["use_bias"] = options_.use_bias;
  c["kernel_initializer"] = initializer_config(options_.kernel_initializer);
  c["bias_initializer"] = initializer_config(options_.bias_initializer);
  c["kernel_regularizer"] = regularizer_config(options_.kernel_regularizer);
  c["bias_regularizer"] = regularizer_config(options_.bias_regularizer);
  return c;
}

Handle<DenseLayer> DenseLayer::from_config(const keras::Config& c) {
  const keras::LayerOptions common = options_from_config(c);
  return Dense(
      keras::size_from_json(c.at("units"), "Dense: units"),
      {.activation = c.value("activation", std::string("linear")),
       .use_bias = c.value("use_bias", true),
       .kernel_initializer = initializers::from_config(
           c.value("kernel_initializer", keras::Config("glorot_uniform"))),
       .bias_initializer =
           initializers::from_config(c.value("bias_initializer", keras::Config("zeros"))),
       .kernel_regularizer =
           regularizers::from_config(c.value("kernel_regularizer", keras::Config())),
       .bias_regularizer = regularizers::from_config(c.value("bias_regularizer", keras::Config())),
       .name = common.name,
       .trainable = common.trainable});
}

Handle<DenseLayer> Dense(std::int64_t units, DenseOptions options) {
  return keras::make<DenseLayer>(units, std::move(options));
}

ActivationLayer::ActivationLayer(activations::Activation activation, keras::LayerOptions options)
    : Layer(std::move(options)), activation_(std::move(activation)) {
  assign_default_name("activation");
}

keras::Config ActivationLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["activation"] = activation_.name();
  return c;
}

Handle<ActivationLayer> Activation(activations::Activation activation,
                                   keras::LayerOptions options) {
  return keras::make<ActivationLayer>(std::move(activation), std::move(options));
}

DropoutLayer::DropoutLayer(double rate, DropoutOptions options)
    : Layer({.name = options.name, .input_shape = options.input_shape, .dtype = options.dtype}),
      rate_(rate) {
  assign_default_name("dropout");
  if (!(rate >= 0 && rate < 1)) throw Error(cat("Dropout: rate must be in [0, 1), got ", rate));
  if (options.seed) generator_.emplace(*options.seed);
}

Tensor DropoutLayer::call(const Tensor& inputs, bool training) {
  if (!training || rate_ == 0) return inputs;
  const DeviceScope on_input_device(inputs.device());
  const random::UniformOptions u{.dtype = inputs.dtype()};
  const Tensor draws =
      generator_ ? generator_->uniform(inputs.shape(), u) : random::uniform(inputs.shape(), u);
  return where(draws >= rate_, inputs / (1.0 - rate_), 0);
}

keras::Config DropoutLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["rate"] = rate_;
  c["seed"] = generator_ ? keras::Config(generator_->seed()) : keras::Config(nullptr);
  return c;
}

Handle<DropoutLayer> Dropout(double rate, DropoutOptions options) {
  return keras::make<DropoutLayer>(rate, std::move(options));
}

Tensor FlattenLayer::call(const Tensor& inputs) {
  if (inputs.rank() < 1) throw ShapeError(cat("Flatten: expected a batch, got a scalar"));
  return reshape(inputs, {inputs.shape(0), -1});
}

std::vector<Shape> FlattenLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes.at(0);
  std::int64_t n = 1;
  for (int i = 1; i < s.rank(); ++i) n = (s[i] < 0 || n < 0) ? -1 : n * s[i];
  return {Shape({s.rank() > 0 ? s[0] : -1, n})};
}

Handle<FlattenLayer> Flatten(keras::LayerOptions options) {
  return keras::make<FlattenLayer>(std::move(options));
}

ReshapeLayer::ReshapeLayer(Shape target_shape, keras::LayerOptions options)
    : Layer(std::move(options)), target_(std::move(target_shape)) {
  assign_default_name("reshape");
}

Tensor ReshapeLayer::call(const Tensor& inputs) {
  std::vector<std::int64_t> dims{inputs.shape(0)};
  dims.insert(dims.end(), target_.begin(), target_.end());
  return reshape(inputs, Shape(dims));
}

std::vector<Shape> ReshapeLayer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  const Shape& s = input_shapes.at(0);
  std::int64_t known = 1, total = 1;
  bool total_known = true;
  for (int i = 1; i < s.rank(); ++i) {
    if (s[i] < 0)
      total_known = false;
    else
      total *= s[i];
  }
  int inferred = -1;
  for (int i = 0; i < target_.rank(); ++i) {
    if (target_[i] == -1)
      inferred = i;
    else
      known *= target_[i];
  }
  std::vector<std::int64_t> dims{s[0]};
  dims.insert(dims.end(), target_.begin(), target_.end());
  if (total_known) {
    if (inferred >= 0) {
      if (known == 0 || total % known != 0) {
        throw ShapeError(cat("Reshape: cannot reshape an input of shape ", keras::shape_string(s),
                             " into (batch, ", target_.to_string().substr(1)));
      }
      dims[inferred + 1] = total / known;
    } else if (known != total) {
      throw ShapeError(cat("Reshape: cannot reshape an input of shape ", keras::shape_string(s),
                           " (", total, " values per example) into ", target_, " (", known, ")"));
    }
  }
  return {Shape(dims)};
}

keras::Config ReshapeLayer::get_config() const {
  keras::Config c = Layer::get_config();
  c["target_shape"] = keras::shape_to_json(target_);
  return c;
}

Handle<ReshapeLayer> Reshape(Shape target_shape, keras::LayerOptions options) {
  return keras::make<ReshapeLayer>(std::move(target_shape), std::move(options));
}

LambdaLayer::LambdaLayer(std::function<Tensor(const Tensor&)> function, keras::LayerOptions options)
    : Layer(std::move(options)), function_(std::move(function)) {
  assign_default_name("lambda");
  if (!function_) throw Error("Lambda: an empty function was given");
}

Handle<LambdaLayer> Lambda(std::function<Tensor(const Tensor&)> function,
                           keras::LayerOptions options) {
  return keras::make<LambdaLayer>(std::move(function), std::move(options));
}

}  // namespace ember::layers
