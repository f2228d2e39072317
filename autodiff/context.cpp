// Context: saved tensors with version checks; NOTE [ Saved outputs ].
#include <fmt/format.h>

#include "autodiff/context.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/node.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg {

// NOTE [ Saved outputs ]
// Rules such as exp, sigmoid and softmax use their output. If a node kept its output as a
// Tensor, the output would own the node (grad_fn) and the node the output: a reference cycle
// that never frees. So a saved output keeps only a grad_fn-free alias of its storage. When the
// backward itself is recorded (create_graph), unpacking re-attaches the running node as the
// alias's grad_fn, so the formula stays differentiable through the output, as PyTorch's
// SavedVariable does.

namespace {
Tensor data_alias(const Tensor& t) {
  auto* impl = t.impl();
  return Tensor(make_impl(impl->shape, impl->dtype, impl->storage));
}
}  // namespace

SavedTensor Context::make_saved(const Tensor& t) const {
  SavedTensor s;
  if (t.defined()) {
    s.version = t.impl()->storage->version;
    if (node_ && t.impl()->grad_fn.get() == node_) {
      s.is_output = true;
      s.data = data_alias(t);
    } else {
      s.data = t;
    }
  }
  return s;
}

void Context::save_for_backward(std::vector<Tensor> tensors) {
  saved_.reserve(saved_.size() + tensors.size());
  for (auto& t : tensors) saved_.push_back(make_saved(t));
}

void Context::save(const Tensor& a) {
  saved_.reserve(saved_.size() + 1);
  saved_.push_back(make_saved(a));
}

void Context::save(const Tensor& a, const Tensor& b) {
  saved_.reserve(saved_.size() + 2);
  saved_.push_back(make_saved(a));
  saved_.push_back(make_saved(b));
}

TensorImpl* Context::grad_sink(std::size_t i) const {
  if (!sinks_open_ || !node_ || i >= node_->edges().size()) return nullptr;
  const auto& leaf = node_->edges()[i].leaf;
  if (!leaf || !leaf->grad || leaf->leaf_pending > 1) return nullptr;  // more gradients to come: none yet
  TensorImpl* g = leaf->grad.get();
  if (g->grad_fn || g->dtype != leaf->dtype || g->shape != leaf->shape) return nullptr;
  // A sink that is also read by the rule (an input saved for backward, or the incoming
  // gradient, sharing storage with the .grad) would be written while it is read: no sink then.
  const Storage* st = g->storage.get();
  if (st == sink_reads_) return nullptr;
  for (const auto& s : saved_)
    if (s.data.defined() && s.data.impl()->storage.get() == st) return nullptr;
  return g;
}

Tensor Context::unpack(const SavedTensor& s) const {
  const char* op = node_ ? node_->name() : "function";
  if (released_)
    throw GraphError(fmt::format(
        "op '{}': trying to run backward through the graph a second time, but its saved tensors "
        "were freed by the first backward; pass retain_graph = true to the first call",
        op));
  if (!s.data.defined()) return {};
  const auto& impl = *s.data.impl();
  if (impl.storage->version != s.version)
    throw GraphError(fmt::format(
        "op '{}': a tensor it saved for backward (shape {}, {}) was modified in place "
        "afterwards: saved at version {}, now at version {}",
        op, shape_str(impl.shape), dtype_name(impl.dtype), s.version, impl.storage->version));
  if (s.is_output && node_ && is_grad_enabled()) {
    auto alias = make_impl(impl.shape, impl.dtype, impl.storage);
    alias->grad_fn = node_->shared_from_this();
    alias->requires_grad = true;
    return Tensor(std::move(alias));
  }
  return s.data;
}

std::vector<Tensor> Context::saved() const {
  if (released_) unpack(SavedTensor{});  // throws: the graph was freed
  std::vector<Tensor> out;
  out.reserve(saved_.size());
  for (const auto& s : saved_) out.push_back(unpack(s));
  return out;
}

Tensor Context::saved(std::size_t i) const {
  if (released_) return unpack(SavedTensor{});  // throws: the graph was freed
  if (i >= saved_.size())
    throw ValueError(fmt::format("op '{}': saved({}) but only {} tensors were saved",
                                 node_ ? node_->name() : "function", i, saved_.size()));
  return unpack(saved_[i]);
}

}  // namespace xg
