// An optimizer's state in Keras 3's files (optimizer/vars/0, 1, ... of a .keras archive): the
// step count, the learning rate, then the slots in the order Keras' build() makes them, so the
// state moves between ember and Keras and training goes on where it stopped.
#include <map>

#include "core/error.h"
#include "core/ops.h"
#include "layers/saving/keras_files.h"

namespace ember::keras::detail {

namespace {

/// Keras' build() makes each group's slots in one add_optimizer_variables call — variable by
/// variable, the group's slots in turn — and the groups one after another. The names are the
/// slots' names in both libraries.
std::vector<std::vector<std::string>> slot_groups(const std::string& class_name) {
  if (class_name == "Adam" || class_name == "AdamW")
    return {{"momentum", "velocity"}, {"velocity_hat"}};
  if (class_name == "RMSprop") return {{"velocity"}, {"momentum"}, {"average_gradient"}};
  if (class_name == "SGD") return {{"momentum"}};
  if (class_name == "Adagrad") return {{"accumulator"}};
  if (class_name == "Adadelta") return {{"accumulated_grad", "accumulated_delta_var"}};
  if (class_name == "Nadam") return {{"momentum", "velocity"}};
  if (class_name == "Adamax") return {{"momentum", "norm"}};
  return {};
}

constexpr const char* kLearningRate = "";  // Keras' second variable; ember keeps no state for it

/// The keys of get_state() in Keras' order.
std::vector<std::string> keras_order(const optim::OptimizerState& state, bool constant_rate,
                                     const std::string& class_name) {
  std::map<std::int64_t, std::map<std::string, std::string>>
      slots_by_variable;  // "<i>:<variable>/<slot>"
  for (const auto& [key, value] : state) {
    const auto colon = key.find(':');
    if (colon == std::string::npos) continue;
    slots_by_variable[std::stoll(key.substr(0, colon))][key.substr(key.rfind('/') + 1)] = key;
  }
  // Keras keeps the learning rate as a variable only when it is a number, not a schedule.
  std::vector<std::string> order{"iterations"};
  if (constant_rate) order.push_back(kLearningRate);
  for (const std::vector<std::string>& group : slot_groups(class_name)) {
    for (const auto& [index, slots] : slots_by_variable) {
      for (const std::string& slot : group) {
        if (const auto it = slots.find(slot); it != slots.end()) order.push_back(it->second);
      }
    }
  }
  // Nadam's running product is made after the slots, when the optimizer is built.
  if (class_name == "Nadam" && !slots_by_variable.empty()) order.push_back("u_product");
  return order;
}

}  // namespace

std::vector<Tensor> keras_optimizer_variables(const optim::Optimizer& optimizer) {
  if (slot_groups(optimizer.class_name()).empty()) return {};
  const optim::OptimizerState state = optimizer.get_state();
  std::vector<Tensor> values;
  for (const std::string& key :
       keras_order(state, optimizer.constant_learning_rate(), optimizer.class_name())) {
    if (key == kLearningRate)
      values.push_back(constant(static_cast<float>(optimizer.learning_rate())));
    else if (key == "u_product")
      values.push_back(cast(state.at(key), DType::float32));  // a float32 in Keras
    else
      values.push_back(state.at(key));
  }
  return values;
}

bool restore_keras_optimizer(optim::Optimizer& optimizer, const std::vector<Variable>& trainable,
                             const std::vector<Tensor>& values, const std::string& where) {
  const auto skip = [&](const std::string& why) {
    // Keras does the same with a state that does not fit: a warning, and a fresh optimizer.
    warn(cat(where, ": the optimizer's saved state is not restored (", why, "); ",
             optimizer.class_name(), " starts afresh"));
    return false;
  };
  // An optimizer saved before its first step holds its step count (and learning rate) only.
  if (values.size() <= 2 && !values.empty() && values[0].size() == 1 &&
      cast(values[0], DType::int64).item<std::int64_t>() == 0) {
    return true;
  }
  if (slot_groups(optimizer.class_name()).empty())
    return skip("no Keras layout known for this class");
  // Slots made now, in the order of the model's trainable weights, are what the file lists.
  optimizer.build(trainable);
  optim::OptimizerState state = optimizer.get_state();
  const std::vector<std::string> order =
      keras_order(state, optimizer.constant_learning_rate(), optimizer.class_name());
  if (values.size() != order.size()) {
    return skip(cat("the file has ", values.size(), " variables, ", optimizer.class_name(),
                    " here has ", order.size()));
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == kLearningRate) continue;  // the compile config's learning rate stands
    Tensor& slot = state.at(order[i]);
    if (values[i].shape() != slot.shape()) {
      return skip(cat("variable ", i, " has shape ", values[i].shape(), ", ", order[i],
                      " here has ", slot.shape()));
    }
    slot = values[i].dtype() == slot.dtype() ? values[i] : cast(values[i], slot.dtype());
  }
  optimizer.set_state(state);
  return true;
}

}  // namespace ember::keras::detail
