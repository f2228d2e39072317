// Module: the shared registry behind every layer.
#include <atomic>
#include <optional>
#include <ostream>
#include <unordered_set>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/function.hpp"
#include "nn/module.hpp"
#include "nn/module_walk.hpp"

namespace xg::nn {

struct Module::State {
  std::vector<std::pair<std::string, Tensor>> parameters;
  std::vector<std::pair<std::string, Tensor>> buffers;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children;
  std::vector<std::pair<std::uint64_t, ForwardHook>> forward_hooks;
  std::uint64_t next_hook_id = 0;
  // How many children lists (of live states) hold this state. 0: no module contains this one, so
  // registering anything into it cannot close a cycle (the common bottom-up construction skips
  // the subtree walk).
  // Atomic: registering one shared module into two parents from two threads must not race.
  std::atomic<std::size_t> parent_count{0};
  bool training = true;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State();

  // Moves this state's children into `out`, as its destruction would release them.
  void release_children(std::vector<std::shared_ptr<Module>>& out) {
    for (auto& [_, child] : children) {
      --child->state_->parent_count;
      out.push_back(std::move(child));
    }
    children.clear();
  }

  // The dotted path under this state at which `target` is registered ("" for this state), or
  // nothing. Iterative, each state explored once (a shared submodule is not walked twice).
  std::optional<std::string> find(const State* target) const {
    if (this == target) return std::string();
    struct Frame {
      const State* state;
      std::size_t next;
      std::size_t path_len;
    };
    std::unordered_set<const State*> seen{this};
    std::vector<Frame> stack{{this, 0, 0}};
    std::string path;
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next == f.state->children.size()) {
        stack.pop_back();
        continue;
      }
      const auto& [name, child] = f.state->children[f.next++];
      path.resize(f.path_len);
      if (!path.empty()) path += '.';
      path += name;
      const State* s = child->state_.get();
      if (s == target) return path;
      if (seen.insert(s).second) stack.push_back({s, 0, path.size()});  // invalidates f
    }
    return std::nullopt;
  }
};

// NOTE [ Iterative destruction ]
// A chain of submodules is a chain of shared_ptrs: letting each state's children vector destroy
// the next state recursively overflows the stack at a depth of some 10^4–10^5. Instead the
// children move to a local list; a child whose Module object and state this list holds the only
// references to gives up its own children to the list before it is destroyed, so each state dies
// with no children left and the depth stays 1.
Module::State::~State() {
  std::vector<std::shared_ptr<Module>> pending;
  release_children(pending);
  while (!pending.empty()) {
    std::shared_ptr<Module> m = std::move(pending.back());
    pending.pop_back();
    if (m.use_count() == 1 && m->state_.use_count() == 1) m->state_->release_children(pending);
  }  // m (and, when it was the last reference, its childless state) is destroyed here
}

Module::Module() : state_(std::make_shared<State>()) {}
Module::~Module() = default;

// parent_ is deliberately not copied: a copy of a registered submodule's handle is a plain handle.
Module::Module(const Module& other) : state_(other.state_) {}

Module& Module::operator=(const Module& other) {
  if (state_ == other.state_) return *this;
  if (auto parent = parent_.lock()) {
    // This handle is the one a parent keeps in its children: rebinding it re-registers it there.
    std::string name;
    for (const auto& [n, c] : parent->children)
      if (c.get() == this) name = n;
    if (other.state_ == parent)
      throw ValueError(fmt::format("{}: assigning to submodule '{}': a module cannot contain itself", other.repr(),
                                   name));
    if (parent->parent_count != 0)
      if (auto path = other.state_->find(parent.get()))
        throw ValueError(fmt::format(
            "assigning {} to submodule '{}' would make a cycle of modules: it already contains that submodule's "
            "parent (as '{}')",
            other.repr(), name, *path));
    ++other.state_->parent_count;
    --state_->parent_count;
  }
  state_ = other.state_;
  return *this;
}

Tensor Module::forward(const Tensor&) {
  throw GraphError(fmt::format("{}: forward is not implemented; override Module::forward", repr()));
}

Tensor Module::operator()(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor y = forward(x);
  run_forward_hooks(x, y);
  return y;
}

void Module::run_forward_hooks(const Tensor& input, const Tensor& output) {
  if (state_->forward_hooks.empty()) return;
  // A copy: a hook may register or remove hooks.
  const auto hooks = state_->forward_hooks;
  for (const auto& [_, hook] : hooks) hook(*this, input, output);
}

HookHandle Module::register_forward_hook(ForwardHook hook) {
  if (!hook) throw ValueError(fmt::format("{}: register_forward_hook: the hook is empty", repr()));
  const std::uint64_t id = state_->next_hook_id++;
  state_->forward_hooks.emplace_back(id, std::move(hook));
  return HookHandle([weak = std::weak_ptr<State>(state_), id] {
    if (auto state = weak.lock()) {
      auto& hooks = state->forward_hooks;
      std::erase_if(hooks, [id](const auto& h) { return h.first == id; });
    }
  });
}

void Module::check_name(const std::string& name, const char* what) const {
  if (name.empty() || name.find('.') != std::string::npos)
    throw ValueError(fmt::format("{}: {} name '{}' must be non-empty and contain no '.'", repr(), what, name));
  auto taken = [&](const auto& list) {
    for (const auto& [n, _] : list)
      if (n == name) return true;
    return false;
  };
  if (taken(state_->parameters) || taken(state_->buffers) || taken(state_->children))
    throw ValueError(fmt::format("{}: the name '{}' is already registered", repr(), name));
}

Tensor Module::register_parameter(std::string name, Tensor t) {
  check_name(name, "parameter");
  if (!t.defined()) return t;  // an absent parameter (e.g. Linear without bias) is not registered
  if (!t.is_leaf())
    throw GraphError(fmt::format("{}: parameter '{}' must be a leaf tensor (use detach())", repr(), name));
  t.requires_grad_(true);
  state_->parameters.emplace_back(std::move(name), t);
  return t;
}

Tensor Module::register_buffer(std::string name, Tensor t) {
  check_name(name, "buffer");
  if (!t.defined()) return t;
  state_->buffers.emplace_back(std::move(name), t);
  return t;
}

void Module::check_acyclic(const std::string& name, const Module& child) const {
  if (child.state_ == state_)
    throw ValueError(fmt::format("{}: submodule '{}': a module cannot contain itself", repr(), name));
  if (state_->parent_count == 0) return;  // no module contains this one: no subtree but its own holds it
  if (auto path = child.state_->find(state_.get()))
    throw ValueError(fmt::format(
        "{}: registering submodule '{}' ({}) would make a cycle of modules: {} already contains this {} (as '{}')",
        repr(), name, child.repr(), child.repr(), repr(), *path));
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  check_name(name, "submodule");
  check_acyclic(name, *child);
  child->parent_ = state_;
  ++child->state_->parent_count;
  state_->children.emplace_back(std::move(name), std::move(child));
}

namespace {

void add_named(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& own,
               std::vector<std::pair<std::string, Tensor>>& out) {
  for (const auto& [name, t] : own) out.emplace_back(path.empty() ? name : path + "." + name, t);
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!recurse) return state_->parameters;
  detail::walk_modules(*this, [&](const Module& m, const std::string& path) { add_named(path, m.state_->parameters, out); });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  if (!recurse) return state_->buffers;
  detail::walk_modules(*this, [&](const Module& m, const std::string& path) { add_named(path, m.state_->buffers, out); });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  detail::walk_modules(*this, [&](const Module& m, const std::string&) {
    for (const auto& [_, t] : m.state_->parameters) out.push_back(t);
  });
  return out;
}

std::vector<Tensor> Module::buffers() const {
  std::vector<Tensor> out;
  detail::walk_modules(*this, [&](const Module& m, const std::string&) {
    for (const auto& [_, t] : m.state_->buffers) out.push_back(t);
  });
  return out;
}

const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& Module::named_children() const {
  return state_->children;
}

std::size_t Module::num_parameters() const {
  std::size_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  detail::walk_modules(*this, [on](const Module& m, const std::string&) { m.state_->training = on; });
}

bool Module::is_training() const { return state_->training; }

void Module::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

std::string Module::repr() const {
  std::string name = xg::detail::demangle(typeid(*this).name());
  if (name.find('<') == std::string::npos) {
    const auto colon = name.rfind("::");
    if (colon != std::string::npos) name = name.substr(colon + 2);
  }
  return name;
}

// The tree, PyTorch style: "Name(\n  (child): ...\n)", children indented by 2 per level. The
// recursive form written with an explicit stack (see NOTE [ Iterative module walks ]).
std::string Module::to_string() const {
  struct Frame {
    const Module* module;
    std::size_t next;
    std::size_t indent;
  };
  std::string out = repr();
  if (state_->children.empty()) return out;
  out += "(\n";
  std::vector<Frame> stack{{this, 0, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const auto& children = f.module->state_->children;
    if (f.next == children.size()) {
      out.append(f.indent, ' ');
      out += ')';
      stack.pop_back();
      if (!stack.empty()) out += '\n';  // the end of that child's entry in its parent
      continue;
    }
    const auto& [name, child] = children[f.next++];
    const std::size_t indent = f.indent + 2;
    out.append(indent, ' ');
    out += "(" + name + "): " + child->repr();
    if (child->state_->children.empty()) {
      out += '\n';
    } else {
      out += "(\n";
      stack.push_back({child.get(), 0, indent});  // invalidates f
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
  return os << m.to_string() << "\n" << fmt::format("{} parameters", m.num_parameters());
}

}  // namespace xg::nn
