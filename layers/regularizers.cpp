#include "layers/regularizers.h"

#include "core/error.h"
#include "core/ops.h"

namespace ember::regularizers {

L1L2::L1L2(double l1, double l2) : l1_(l1), l2_(l2) {
  if (!(l1 >= 0) || !(l2 >= 0))
    throw Error(cat("L1L2: l1 and l2 must be >= 0, got ", l1, " and ", l2));
}

Tensor L1L2::operator()(const Tensor& w) const {
  Tensor penalty = zeros({}, w.dtype()).to(w.device());
  if (l1_ > 0) penalty = penalty + reduce_sum(abs(w)) * l1_;
  if (l2_ > 0) penalty = penalty + reduce_sum(square(w)) * l2_;
  return penalty;
}

RegularizerRef::RegularizerRef(const char* name) {
  const std::string n = name;
  if (n == "l1")
    regularizer_ = std::make_shared<L1>();
  else if (n == "l2")
    regularizer_ = std::make_shared<L2>();
  else if (n == "l1_l2")
    regularizer_ = std::make_shared<L1L2>(0.01, 0.01);
  else
    throw Error(cat("unknown regularizer \"", n, "\"; known: l1, l2, l1_l2"));
}

RegularizerRef from_config(const keras::Config& config) {
  if (config.is_null()) return {};
  if (config.is_string()) return RegularizerRef(config.get<std::string>().c_str());
  const std::string name = config.at("class_name").get<std::string>();
  const keras::Config c = config.value("config", keras::Config::object());
  if (name == "L1") return L1(c.value("l1", 0.01));
  if (name == "L2") return L2(c.value("l2", 0.01));
  if (name == "L1L2") return L1L2(c.value("l1", 0.0), c.value("l2", 0.0));
  throw Error(cat("unknown regularizer class \"", name, "\"; known: L1, L2, L1L2"));
}

}  // namespace ember::regularizers
