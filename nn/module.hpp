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

class Module {
 public:
  Module();
  virtual ~Module();
  Module(const Module&) = default;             // shares the registry
  Module& operator=(const Module&) = default;  // shares the registry

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
  /// Same order, with dotted names: "fc1.weight", "0.bias", ...
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  /// Non-trainable state (e.g. BatchNorm's running statistics), recursively, with dotted names.
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
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
  template <class M>
  M register_module(std::string name, M m) {
    static_assert(std::is_base_of_v<Module, M>, "register_module takes a module");
    add_child(std::move(name), std::make_shared<M>(m));
    return m;
  }

 private:
  struct State;
  void add_child(std::string name, std::shared_ptr<Module> child);
  void check_name(const std::string& name, const char* what) const;
  void write_tree(std::string& out, int indent) const;
  std::shared_ptr<State> state_;
};

/// The tree (Module::to_string) followed by the parameter count.
std::ostream& operator<<(std::ostream&, const Module&);

}  // namespace xg::nn
