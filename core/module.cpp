#include "core/module.h"

#include <algorithm>
#include <functional>
#include <typeinfo>

#include "core/naming.h"

namespace ember {

Module::Module(std::string name) : name_(std::move(name)) {}

const std::string& Module::name() const {
  // tf.Module's default: the class's name in snake_case ("DenseNN" -> "dense_nn").
  if (name_.empty()) name_ = detail::to_snake_case(detail::class_name_of(typeid(*this)));
  return name_;
}

Variable Module::track(Variable variable) {
  variables_.push_back(variable);
  return variable;
}

void Module::add_child(Module* child, std::shared_ptr<Module> owner) {
  if (std::find(children_.begin(), children_.end(), child) != children_.end()) return;
  children_.push_back(child);
  if (owner) owned_.push_back(std::move(owner));
}

void Module::forget_child(const Module* child) {
  children_.erase(std::remove(children_.begin(), children_.end(), child), children_.end());
  owned_.erase(std::remove_if(owned_.begin(), owned_.end(),
                              [&](const std::shared_ptr<Module>& m) { return m.get() == child; }),
               owned_.end());
}

void Module::collect_variables(std::vector<Variable>& out, std::unordered_set<std::uint64_t>& seen,
                               bool trainable_only) const {
  // tf.Module lists a module's variables by attribute name; here the variables carry the names
  // (Variable(..., _name = "w")), so b comes before w as in TensorFlow.
  collect_tracked(out, seen, trainable_only, /*by_name=*/true);
}

void Module::collect_tracked(std::vector<Variable>& out, std::unordered_set<std::uint64_t>& seen,
                             bool trainable_only, bool by_name) const {
  std::vector<Variable> own = variables_;
  if (by_name) {
    std::stable_sort(own.begin(), own.end(),
                     [](const Variable& a, const Variable& b) { return a.name() < b.name(); });
  }
  for (const Variable& v : own) {
    if (trainable_only && !v.trainable()) continue;
    if (seen.insert(v.id()).second) out.push_back(v);
  }
  for (const Module* child : children_) child->collect_variables(out, seen, trainable_only);
}

std::vector<Variable> Module::variables() const {
  std::vector<Variable> out;
  std::unordered_set<std::uint64_t> seen;
  collect_variables(out, seen, false);
  return out;
}

std::vector<Variable> Module::trainable_variables() const {
  std::vector<Variable> out;
  std::unordered_set<std::uint64_t> seen;
  collect_variables(out, seen, true);
  return out;
}

std::vector<const Module*> Module::submodules() const {
  std::vector<const Module*> out;
  std::unordered_set<const Module*> seen;
  std::function<void(const Module*)> walk = [&](const Module* m) {
    for (const Module* child : m->children_) {
      if (!seen.insert(child).second) continue;
      out.push_back(child);
      walk(child);
    }
  };
  walk(this);
  return out;
}

}  // namespace ember
