#include "layers/initializers.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include "core/error.h"
#include "core/ops.h"

namespace ember::initializers {
namespace {

void check_floating(const char* name, DType dtype) {
  if (!is_floating(dtype)) {
    throw DTypeError(
        cat(name, ": random initializers make floating tensors, not ", dtype_name(dtype)));
  }
}

keras::Config seed_json(const std::optional<std::uint64_t>& seed) {
  return seed ? keras::Config(*seed) : keras::Config(nullptr);
}

// Draws with a fresh generator of the seed when there is one (same values every call), else from
// the global generator.
template <class Draw>
Tensor draw(const std::optional<std::uint64_t>& seed, Draw&& with) {
  if (seed) {
    random::Generator generator(*seed);
    return with(&generator);
  }
  return with(nullptr);
}

Tensor normal(random::Generator* g, const Shape& shape, random::NormalOptions o) {
  return g ? g->normal(shape, o) : random::normal(shape, o);
}
Tensor truncated(random::Generator* g, const Shape& shape, random::NormalOptions o) {
  return g ? g->truncated_normal(shape, o) : random::truncated_normal(shape, o);
}
Tensor uniform(random::Generator* g, const Shape& shape, random::UniformOptions o) {
  return g ? g->uniform(shape, o) : random::uniform(shape, o);
}

}  // namespace

std::pair<double, double> compute_fans(const Shape& shape) {
  const auto& d = shape.dims();
  if (d.empty()) return {1, 1};
  if (d.size() == 1) return {double(d[0]), double(d[0])};
  if (d.size() == 2) return {double(d[0]), double(d[1])};
  double receptive = 1;
  for (std::size_t i = 0; i + 2 < d.size(); ++i) receptive *= double(d[i]);
  return {double(d[d.size() - 2]) * receptive, double(d.back()) * receptive};
}

Tensor Zeros::operator()(const Shape& shape, DType dtype) const { return zeros(shape, dtype); }
Tensor Ones::operator()(const Shape& shape, DType dtype) const { return ones(shape, dtype); }
Tensor Constant::operator()(const Shape& shape, DType dtype) const {
  return constant(value_, shape, dtype);
}

Tensor RandomNormal::operator()(const Shape& shape, DType dtype) const {
  check_floating("RandomNormal", dtype);
  return draw(o_.seed, [&](random::Generator* g) {
    return normal(g, shape, {.mean = o_.mean, .stddev = o_.stddev, .dtype = dtype});
  });
}
keras::Config RandomNormal::get_config() const {
  return {{"mean", o_.mean}, {"stddev", o_.stddev}, {"seed", seed_json(o_.seed)}};
}

Tensor TruncatedNormal::operator()(const Shape& shape, DType dtype) const {
  check_floating("TruncatedNormal", dtype);
  return draw(o_.seed, [&](random::Generator* g) {
    return truncated(g, shape, {.mean = o_.mean, .stddev = o_.stddev, .dtype = dtype});
  });
}
keras::Config TruncatedNormal::get_config() const {
  return {{"mean", o_.mean}, {"stddev", o_.stddev}, {"seed", seed_json(o_.seed)}};
}

Tensor RandomUniform::operator()(const Shape& shape, DType dtype) const {
  check_floating("RandomUniform", dtype);
  return draw(o_.seed, [&](random::Generator* g) {
    return uniform(g, shape, {.minval = o_.minval, .maxval = o_.maxval, .dtype = dtype});
  });
}
keras::Config RandomUniform::get_config() const {
  return {{"minval", o_.minval}, {"maxval", o_.maxval}, {"seed", seed_json(o_.seed)}};
}

VarianceScaling::VarianceScaling(VarianceScalingOptions o)
    : VarianceScaling("VarianceScaling", std::move(o)) {}

VarianceScaling::VarianceScaling(std::string name, VarianceScalingOptions o)
    : name_(std::move(name)), o_(std::move(o)) {
  if (!(o_.scale > 0)) throw Error(cat(name_, ": scale must be > 0, got ", o_.scale));
  if (o_.mode != "fan_in" && o_.mode != "fan_out" && o_.mode != "fan_avg") {
    throw Error(cat(name_, ": mode must be fan_in, fan_out or fan_avg, got \"", o_.mode, "\""));
  }
  if (o_.distribution != "truncated_normal" && o_.distribution != "untruncated_normal" &&
      o_.distribution != "uniform") {
    throw Error(
        cat(name_, ": distribution must be truncated_normal, untruncated_normal or uniform, got \"",
            o_.distribution, "\""));
  }
}

Tensor VarianceScaling::operator()(const Shape& shape, DType dtype) const {
  check_floating(name_.c_str(), dtype);
  const auto [fan_in, fan_out] = compute_fans(shape);
  const double n =
      o_.mode == "fan_in" ? fan_in : (o_.mode == "fan_out" ? fan_out : (fan_in + fan_out) / 2);
  const double scale = o_.scale / std::max(1.0, n);
  return draw(o_.seed, [&](random::Generator* g) {
    if (o_.distribution == "truncated_normal") {
      // 0.8796... is the stddev of a standard normal truncated at ±2: undo the narrowing.
      return truncated(g, shape,
                       {.stddev = std::sqrt(scale) / 0.87962566103423978, .dtype = dtype});
    }
    if (o_.distribution == "untruncated_normal") {
      return normal(g, shape, {.stddev = std::sqrt(scale), .dtype = dtype});
    }
    const double limit = std::sqrt(3.0 * scale);
    return uniform(g, shape, {.minval = -limit, .maxval = limit, .dtype = dtype});
  });
}

keras::Config VarianceScaling::get_config() const {
  if (name_ != "VarianceScaling") return {{"seed", seed_json(o_.seed)}};
  return {{"scale", o_.scale},
          {"mode", o_.mode},
          {"distribution", o_.distribution},
          {"seed", seed_json(o_.seed)}};
}

GlorotUniform::GlorotUniform(std::optional<std::uint64_t> seed)
    : VarianceScaling("GlorotUniform", {1.0, "fan_avg", "uniform", seed}) {}
GlorotNormal::GlorotNormal(std::optional<std::uint64_t> seed)
    : VarianceScaling("GlorotNormal", {1.0, "fan_avg", "truncated_normal", seed}) {}
HeNormal::HeNormal(std::optional<std::uint64_t> seed)
    : VarianceScaling("HeNormal", {2.0, "fan_in", "truncated_normal", seed}) {}
HeUniform::HeUniform(std::optional<std::uint64_t> seed)
    : VarianceScaling("HeUniform", {2.0, "fan_in", "uniform", seed}) {}
LecunNormal::LecunNormal(std::optional<std::uint64_t> seed)
    : VarianceScaling("LecunNormal", {1.0, "fan_in", "truncated_normal", seed}) {}
LecunUniform::LecunUniform(std::optional<std::uint64_t> seed)
    : VarianceScaling("LecunUniform", {1.0, "fan_in", "uniform", seed}) {}

Tensor Orthogonal::operator()(const Shape& shape, DType dtype) const {
  check_floating("Orthogonal", dtype);
  if (shape.rank() < 2) {
    throw ShapeError(cat("Orthogonal: the shape must have rank >= 2, got ", shape));
  }
  std::int64_t rows = 1;
  for (int i = 0; i + 1 < shape.rank(); ++i) rows *= shape[i];
  const std::int64_t cols = shape[-1];
  const std::int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  Tensor a;
  {
    DeviceScope cpu(Device::cpu());
    a = draw(o_.seed, [&](random::Generator* g) { return normal(g, {m, n}, {.dtype = float64}); });
  }
  std::vector<double> q = a.to_vector<double>();  // (m, n), row-major
  // Householder QR of the m x n matrix; Q's first n columns, each signed like R's diagonal.
  std::vector<double> r = q;
  std::vector<std::vector<double>> reflectors;
  for (std::int64_t k = 0; k < n; ++k) {
    std::vector<double> v(m, 0.0);
    double norm = 0;
    for (std::int64_t i = k; i < m; ++i) norm += r[i * n + k] * r[i * n + k];
    norm = std::sqrt(norm);
    const double alpha = r[k * n + k] > 0 ? -norm : norm;
    for (std::int64_t i = k; i < m; ++i) v[i] = r[i * n + k];
    v[k] -= alpha;
    double vv = 0;
    for (std::int64_t i = k; i < m; ++i) vv += v[i] * v[i];
    if (vv > 0) {
      for (std::int64_t j = 0; j < n; ++j) {
        double dot = 0;
        for (std::int64_t i = k; i < m; ++i) dot += v[i] * r[i * n + j];
        for (std::int64_t i = k; i < m; ++i) r[i * n + j] -= 2 * v[i] * dot / vv;
      }
    }
    reflectors.push_back(std::move(v));
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  std::vector<double> qm(m * n, 0.0);
  for (std::int64_t j = 0; j < n; ++j) qm[j * n + j] = 1.0;
  for (std::int64_t k = n - 1; k >= 0; --k) {
    const auto& v = reflectors[k];
    double vv = 0;
    for (std::int64_t i = k; i < m; ++i) vv += v[i] * v[i];
    if (vv == 0) continue;
    for (std::int64_t j = 0; j < n; ++j) {
      double dot = 0;
      for (std::int64_t i = k; i < m; ++i) dot += v[i] * qm[i * n + j];
      for (std::int64_t i = k; i < m; ++i) qm[i * n + j] -= 2 * v[i] * dot / vv;
    }
  }
  for (std::int64_t j = 0; j < n; ++j) {
    const double s = r[j * n + j] < 0 ? -1.0 : 1.0;
    for (std::int64_t i = 0; i < m; ++i) qm[i * n + j] *= s * o_.gain;
  }
  Tensor result = constant(qm, Shape{m, n}, float64);
  if (rows < cols) result = transpose(result);
  return cast(reshape(result, shape), dtype);
}

keras::Config Orthogonal::get_config() const {
  return {{"gain", o_.gain}, {"seed", seed_json(o_.seed)}};
}

namespace {

const std::map<std::string, std::function<std::shared_ptr<const Initializer>()>>& registry() {
  static const std::map<std::string, std::function<std::shared_ptr<const Initializer>()>> known = {
      {"constant", [] { return std::make_shared<Constant>(); }},
      {"glorot_normal", [] { return std::make_shared<GlorotNormal>(); }},
      {"glorot_uniform", [] { return std::make_shared<GlorotUniform>(); }},
      {"he_normal", [] { return std::make_shared<HeNormal>(); }},
      {"he_uniform", [] { return std::make_shared<HeUniform>(); }},
      {"lecun_normal", [] { return std::make_shared<LecunNormal>(); }},
      {"lecun_uniform", [] { return std::make_shared<LecunUniform>(); }},
      {"ones", [] { return std::make_shared<Ones>(); }},
      {"orthogonal", [] { return std::make_shared<Orthogonal>(); }},
      {"random_normal", [] { return std::make_shared<RandomNormal>(); }},
      {"random_uniform", [] { return std::make_shared<RandomUniform>(); }},
      {"truncated_normal", [] { return std::make_shared<TruncatedNormal>(); }},
      {"uniform", [] { return std::make_shared<RandomUniform>(); }},
      {"variance_scaling", [] { return std::make_shared<VarianceScaling>(); }},
      {"zeros", [] { return std::make_shared<Zeros>(); }},
  };
  return known;
}

// "GlorotUniform" -> "glorot_uniform"
std::string snake_case(const std::string& name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (i > 0) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::shared_ptr<const Initializer> get(const std::string& name) {
  const auto it = registry().find(snake_case(name));
  if (it == registry().end()) {
    std::string known;
    for (const auto& [k, make] : registry()) known += (known.empty() ? "" : ", ") + k;
    throw Error(cat("unknown initializer \"", name, "\"; known: ", known));
  }
  return it->second();
}

std::shared_ptr<const Initializer> from_config(const keras::Config& config) {
  if (config.is_string()) return get(config.get<std::string>());
  const std::string name = config.at("class_name").get<std::string>();
  const keras::Config c = config.value("config", keras::Config::object());
  auto seed = [&]() -> std::optional<std::uint64_t> {
    if (!c.contains("seed") || c["seed"].is_null()) return std::nullopt;
    return c["seed"].get<std::uint64_t>();
  };
  if (name == "Constant") return std::make_shared<Constant>(c.value("value", 0.0));
  if (name == "RandomNormal")
    return std::make_shared<RandomNormal>(
        RandomNormalOptions{c.value("mean", 0.0), c.value("stddev", 0.05), seed()});
  if (name == "TruncatedNormal")
    return std::make_shared<TruncatedNormal>(
        RandomNormalOptions{c.value("mean", 0.0), c.value("stddev", 0.05), seed()});
  if (name == "RandomUniform")
    return std::make_shared<RandomUniform>(
        RandomUniformOptions{c.value("minval", -0.05), c.value("maxval", 0.05), seed()});
  if (name == "VarianceScaling") {
    return std::make_shared<VarianceScaling>(
        VarianceScalingOptions{c.value("scale", 1.0), c.value("mode", std::string("fan_in")),
                               c.value("distribution", std::string("truncated_normal")), seed()});
  }
  if (name == "GlorotUniform") return std::make_shared<GlorotUniform>(seed());
  if (name == "GlorotNormal") return std::make_shared<GlorotNormal>(seed());
  if (name == "HeNormal") return std::make_shared<HeNormal>(seed());
  if (name == "HeUniform") return std::make_shared<HeUniform>(seed());
  if (name == "LecunNormal") return std::make_shared<LecunNormal>(seed());
  if (name == "LecunUniform") return std::make_shared<LecunUniform>(seed());
  if (name == "Orthogonal")
    return std::make_shared<Orthogonal>(OrthogonalOptions{c.value("gain", 1.0), seed()});
  return get(name);
}

InitializerRef::InitializerRef(const char* name) : initializer_(initializers::get(name)) {}
InitializerRef::InitializerRef(const std::string& name) : initializer_(initializers::get(name)) {}
InitializerRef::InitializerRef(std::shared_ptr<const Initializer> initializer)
    : initializer_(std::move(initializer)) {
  if (!initializer_) throw Error("InitializerRef: a null initializer was given");
}

}  // namespace ember::initializers
