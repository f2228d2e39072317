#pragma once
// xg::nn::Module — the base of every layer and model.
//
// Modules are cheap handles, like libtorch's module holders: a Module object holds a shared
// pointer to its registry (parameters, buffers, submodules, train/eval flag), so copying a
// module — registering a member, putting it into a Sequential, returning it from a function —
// shares all of it. A user's model subclasses Module, registers its parts by name in the
// constructor, and overrides forward:
//
//   struct Net : xg::nn::Module {
//     xg::nn::Linear fc1{784, 128}, fc2{128, 10};
//     Net() { register_module("fc1", fc1); register_module("fc2", fc2); }
//     xg::Tensor forward(const xg::Tensor& x) override { return fc2(xg::relu(fc1(x))); }
//   };
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg::nn {

class Module;

/// Called after a module's forward with the module, its input and its output.
using ForwardHook = std::function<void(Module& module, const Tensor& input, const Tensor& output)>;

/// Removes the hook it was returned for when remove() is called. Destroying the handle leaves
/// the hook in place (as torch's RemovableHandle). Removing twice, or after the module is gone,
/// does nothing.
class HookHandle {
 public:
  HookHandle() = default;
  explicit HookHandle(std::function<void()> remover) : remover_(std::move(remover)) {}
  HookHandle(HookHandle&& other) noexcept : remover_(std::exchange(other.remover_, {})) {}
  HookHandle& operator=(HookHandle&& other) noexcept {
    if (this != &other) remover_ = std::exchange(other.remover_, {});
    return *this;
  }
  HookHandle(const HookHandle&) = delete;
  HookHandle& operator=(const HookHandle&) = delete;
  void remove() {
    if (remover_) std::exchange(remover_, {})();
  }

 private:
  std::function<void()> remover_;
};

/// NOTE [ The module graph is a tree (or a DAG), never a cycle ]
/// Registering a module that already contains the registering one (directly or through any
/// depth of submodules: `s1.push_back(s2); s2.push_back(s1);`) is a ValueError naming both and the
/// path, and changes nothing; so is a module containing itself. Assigning another module to a
/// registered submodule's handle (`seq[0] = other`) is checked the same way. Sharing a module in
/// several places stays allowed (it is listed once per path, as before). Every walk over the
/// tree (parameters, named_parameters, named_buffers, train, zero_grad, to_string, Sequential's
/// forward through nested Sequentials) and the destruction of the tree are iterative: a chain of
/// 100,000 nested modules neither overflows the stack nor leaks.
class Module {
 public:
  Module();
  virtual ~Module();
  Module(const Module& other);             // shares the registry
  Module& operator=(const Module& other);  // shares the registry (checked as a registration when
                                           // this handle is a registered submodule)

  /// The computation. The base version throws GraphError: a module must override it.
  virtual Tensor forward(const Tensor& x);
  /// forward(x), then this module's forward hooks (in registration order). `site` (the
  /// caller's line, captured automatically) is what anomaly mode reports for the ops inside.
  Tensor operator()(const Tensor& x, SourceSite site = SourceSite::current());

  /// Registers `hook` to run after every call of this module (through operator(), which is
  /// how Sequential and user models call their parts), as torch's register_forward_hook. Hooks
  /// run under whatever grad mode the forward ran in; one that computes from `output` should
  /// use NoGradGuard. Returns a handle whose remove() unregisters it.
  HookHandle register_forward_hook(ForwardHook hook);

  /// All parameters, recursively, in registration order (own first, then each child's).
  std::vector<Tensor> parameters() const;
  /// Same order, with dotted names: "fc1.weight", "0.bias", ... With recurse = false only this
  /// module's own parameters (as torch's named_parameters(recurse=False)).
  std::vector<std::pair<std::string, Tensor>> named_parameters(bool recurse = true) const;
  /// Non-trainable state (e.g. BatchNorm's running statistics), recursively, with dotted names
  /// (recurse = false: this module's own).
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<Tensor> buffers() const;
  /// Direct submodules in registration order.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const;
  /// Total number of parameter elements.
  std::size_t num_parameters() const;

  /// Training mode (the default) or evaluation mode, for this module and every descendant.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const;

  /// Drops the gradient of every parameter.
  void zero_grad();

  /// This module alone, on one line: "Linear(in=64, out=128, bias=true)". Defaults to the class
  /// name; layers override it.
  virtual std::string repr() const;
  /// The whole tree, PyTorch style, one child per line.
  std::string to_string() const;

 protected:
  /// Registers a trainable tensor under `name` (sets requires_grad) and returns it.
  /// Names are non-empty, without '.', unique within the module (ValueError otherwise).
  Tensor register_parameter(std::string name, Tensor t);
  /// Registers non-trainable state that checkpoints save and load.
  Tensor register_buffer(std::string name, Tensor t);
  /// Registers a submodule; returns the handle (sharing state with the registered copy).
  /// ValueError when `m` is this module or contains it (a cycle), naming both.
  template <class M>
  M register_module(std::string name, M m) {
    static_assert(std::is_base_of_v<Module, M>, "register_module takes a module");
    add_child(std::move(name), std::make_shared<M>(m));
    return m;
  }

  /// Runs this module's forward hooks on (input, output), as operator() does after forward
  /// (Sequential's iterative forward calls it for the Sequentials nested in it).
  void run_forward_hooks(const Tensor& input, const Tensor& output);

 private:
  struct State;
  void add_child(std::string name, std::shared_ptr<Module> child);
  void check_name(const std::string& name, const char* what) const;
  void check_acyclic(const std::string& name, const Module& child) const;
  std::shared_ptr<State> state_;
  // Set only on the handle a parent stores in its children (register_module's copy): the
  // parent, so that assigning to that handle is checked as a registration. Not copied.
  std::weak_ptr<State> parent_;
};

/// The tree (Module::to_string) followed by the parameter count.
std::ostream& operator<<(std::ostream&, const Module&);

}  // namespace xg::nn
