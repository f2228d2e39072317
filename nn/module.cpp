// Module: the shared registry behind every layer.
#include <ostream>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/function.hpp"
#include "nn/module.hpp"

namespace xg::nn {

struct Module::State {
  std::vector<std::pair<std::string, Tensor>> parameters;
  std::vector<std::pair<std::string, Tensor>> buffers;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children;
  std::vector<std::pair<std::uint64_t, ForwardHook>> forward_hooks;
  std::uint64_t next_hook_id = 0;
  bool training = true;
};

Module::Module() : state_(std::make_shared<State>()) {}
Module::~Module() = default;

Tensor Module::forward(const Tensor&) {
  throw GraphError(fmt::format("{}: forward is not implemented; override Module::forward", repr()));
}

Tensor Module::operator()(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor y = forward(x);
  if (!state_->forward_hooks.empty()) {
    // A copy: a hook may register or remove hooks.
    const auto hooks = state_->forward_hooks;
    for (const auto& [_, hook] : hooks) hook(*this, x, y);
  }
  return y;
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

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  check_name(name, "submodule");
  if (child->state_ == state_) throw ValueError(fmt::format("{}: a module cannot contain itself", repr()));
  state_->children.emplace_back(std::move(name), std::move(child));
}

namespace {
template <class Get>
void collect(const Module& m, const std::string& prefix, Get get, std::vector<std::pair<std::string, Tensor>>& out) {
  for (const auto& [name, t] : get(m)) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : m.named_children()) collect(*child, prefix + name + ".", get, out);
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect(*this, "", [](const Module& m) -> const auto& { return m.state_->parameters; }, out);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  collect(*this, "", [](const Module& m) -> const auto& { return m.state_->buffers; }, out);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_parameters()) out.push_back(t);
  return out;
}

std::vector<Tensor> Module::buffers() const {
  std::vector<Tensor> out;
  for (auto& [_, t] : named_buffers()) out.push_back(t);
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
  state_->training = on;
  for (auto& [_, child] : state_->children) child->train(on);
}

bool Module::is_training() const { return state_->training; }

void Module::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

std::string Module::repr() const {
  std::string name = detail::demangle(typeid(*this).name());
  if (name.find('<') == std::string::npos) {
    const auto colon = name.rfind("::");
    if (colon != std::string::npos) name = name.substr(colon + 2);
  }
  return name;
}

void Module::write_tree(std::string& out, int indent) const {
  out += repr();
  if (state_->children.empty()) return;
  out += "(\n";
  for (const auto& [name, child] : state_->children) {
    out += std::string(indent + 2, ' ') + "(" + name + "): ";
    child->write_tree(out, indent + 2);
    out += "\n";
  }
  out += std::string(indent, ' ') + ")";
}

std::string Module::to_string() const {
  std::string out;
  write_tree(out, 0);
  return out;
}

std::ostream& operator<<(std::ostream& os, const Module& m) {
  return os << m.to_string() << "\n" << fmt::format("{} parameters", m.num_parameters());
}

}  // namespace xg::nn
