// Module: a container of variables and submodules, like tf.Module. C++ has no reflection, so a
// module lists what it owns with track():
//
//   struct DenseNN : Module {
//     std::optional<Variable> w;
//     Tensor operator()(const Tensor& x) {
//       if (!w) w = track(Variable(random::truncated_normal({x.shape(-1), 1}, {.stddev = 0.1})));
//       return matmul(x, *w);
//     }
//   };
//
// Modules are identity objects (no copies, no moves): a parent records its members by address.
#pragma once

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/variable.h"

namespace ember {

class Module {
 public:
  explicit Module(std::string name = "");
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The module's name: the one given, else its class's in snake_case, as tf.Module's
  /// ("DenseNN" -> "dense_nn"); Keras layers number theirs ("dense", "dense_1", ...).
  virtual const std::string& name() const;
  /// Every variable of this module and its submodules, depth-first in the order they were tracked,
  /// each once even when shared.
  std::vector<Variable> variables() const;
  /// The trainable ones among them (for Keras layers: not those of frozen layers).
  std::vector<Variable> trainable_variables() const;
  /// All submodules, depth-first, each once.
  std::vector<const Module*> submodules() const;

 protected:
  /// Records a variable (returned, so `w = track(Variable(...))` reads naturally).
  Variable track(Variable variable);
  /// Records a member module (the parent must outlive nothing: members live as long as it).
  template <class M>
  M& track(M& submodule) {
    add_child(&submodule, nullptr);
    return submodule;
  }
  /// Records a module owned through a shared pointer (kept alive by this module too).
  template <class M>
  std::shared_ptr<M> track(std::shared_ptr<M> submodule) {
    add_child(submodule.get(), submodule);
    return submodule;
  }

  /// Appends this module's variables (by name, as tf.Module orders them by attribute name), then
  /// its children's, skipping ids already in `seen`.
  virtual void collect_variables(std::vector<Variable>& out,
                                 std::unordered_set<std::uint64_t>& seen,
                                 bool trainable_only) const;
  /// The same, with this module's own variables in tracking order unless `by_name`.
  void collect_tracked(std::vector<Variable>& out, std::unordered_set<std::uint64_t>& seen,
                       bool trainable_only, bool by_name) const;
  const std::vector<Module*>& children() const { return children_; }
  void forget_child(const Module* child);

 private:
  /// Adds a child once (tracking the same module again changes nothing).
  void add_child(Module* child, std::shared_ptr<Module> owner);

 protected:
  mutable std::string name_;

 private:
  std::vector<Variable> variables_;
  std::vector<Module*> children_;
  std::vector<std::shared_ptr<Module>> owned_;
};

}  // namespace ember
