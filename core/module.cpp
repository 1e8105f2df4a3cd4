#include "core/module.h"

#include <algorithm>
#include <functional>

namespace ember {

Module::Module(std::string name) : name_(std::move(name)) {}

const std::string& Module::name() const { return name_; }

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
  for (const Variable& v : variables_) {
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
