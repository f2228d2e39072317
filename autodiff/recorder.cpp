// Recording ops into the graph.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "autodiff/anomaly.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/recorder.hpp"

namespace xg {

bool Recorder::should_record(std::span<const Tensor* const> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->impl()->requires_grad) return true;
  return false;
}

std::shared_ptr<Node> Recorder::make_node(const char* name, BackwardRule rule,
                                          std::span<const Tensor* const> inputs) {
  auto node = std::allocate_shared<Node>(PoolAllocator<Node>{}, name, rule);
  if (is_anomaly_enabled()) node->site_ = current_site();
  node->edges_.reserve(inputs.size());
  node->inputs_.reserve(inputs.size());
  for (const Tensor* t : inputs) {
    Edge e;
    bool needs = false;
    if (t->defined()) {
      TensorImpl* impl = t->impl();
      node->inputs_.push_back({impl->shape, impl->dtype});
      if (impl->requires_grad) {
        needs = true;
        if (impl->grad_fn)
          e.node = impl->grad_fn;
        else
          e.leaf = t->impl_ptr();
      }
    } else {
      node->inputs_.push_back({Shape{}, kFloat32});
    }
    node->edges_.push_back(std::move(e));
    if (needs) node->ctx_.set_needs_input_grad(node->edges_.size() - 1);
  }
  return node;
}

void Recorder::attach_output(const std::shared_ptr<Node>& node, Tensor& out) {
  if (!out.defined())
    throw GraphError(fmt::format("op '{}': forward returned an undefined tensor", node->name()));
  TensorImpl* impl = out.impl();
  bool shared = impl->requires_grad || impl->grad_fn != nullptr;
  for (const auto& e : node->edges_)
    if (e.leaf.get() == impl) shared = true;
  if (shared) out = Tensor(make_impl(impl->shape, impl->dtype, impl->storage));
  out.impl()->grad_fn = node;
  out.impl()->requires_grad = true;
  // Saved entries that are the output itself become data-only (NOTE [ Saved outputs ]).
  for (auto& s : node->ctx_.saved_) {
    if (!s.is_output && s.data.defined() && s.data.impl() == out.impl()) {
      s.is_output = true;
      s.data = Tensor(make_impl(out.impl()->shape, out.impl()->dtype,
                                                   out.impl()->storage));
    }
  }
}

Context* Recorder::record(const char* name, BackwardRule rule, Tensor& out,
                          std::span<const Tensor* const> inputs) {
  check_forward(name, out, inputs);
  if (!should_record(inputs)) return nullptr;
  auto node = make_node(name, rule, inputs);
  attach_output(node, out);
  return &node->ctx_;
}

namespace {
thread_local bool t_in_backward = false;
}  // namespace

Recorder::InBackward::InBackward() : previous_(t_in_backward) { t_in_backward = true; }
Recorder::InBackward::~InBackward() { t_in_backward = previous_; }

namespace {

// "#0 [2, 3] float32: min -1.5, max 2, 1 NaN, 0 Inf" for each input.
std::string input_statistics(std::span<const Tensor* const> inputs) {
  std::string out;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    const Tensor* t = inputs[k];
    if (!t->defined()) continue;
    const auto& impl = *t->impl();
    double lo = INFINITY, hi = -INFINITY;
    std::size_t nans = 0, infs = 0;
    dispatch(impl.dtype, [&]<class T>() {
      const T* p = impl.data<T>();
      for (std::size_t i = 0; i < impl.numel; ++i) {
        const double v = static_cast<double>(p[i]);
        if (std::isnan(v)) ++nans;
        else {
          if (std::isinf(v)) ++infs;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
    });
    out += fmt::format("\n  input {}: shape {}, {}, ", k, shape_str(impl.shape), dtype_name(impl.dtype));
    if (impl.numel == nans) out += "no finite values";
    else out += fmt::format("min {:.6g}, max {:.6g}", lo, hi);
    out += fmt::format(", {} NaN, {} Inf", nans, infs);
  }
  return out;
}

}  // namespace

void Recorder::check_forward(const char* op, const Tensor& out, std::span<const Tensor* const> inputs) {
  if (!is_anomaly_enabled() || t_in_backward || !out.defined()) return;
  const auto& impl = *out.impl();
  dispatch(impl.dtype, [&]<class T>() {
    const T* p = impl.data<T>();
    for (std::size_t i = 0; i < impl.numel; ++i)
      if (!std::isfinite(p[i]))
        throw ValueError(fmt::format(
            "anomaly detected: op '{}' called at {} produced {} in its forward output (shape {}, {}) at flat "
            "index {}{}",
            op, describe(current_site()), std::isnan(p[i]) ? "NaN" : "Inf", shape_str(impl.shape),
            dtype_name(impl.dtype), i, input_statistics(inputs)));
  });
}

Context* record(Op op, Tensor& out, std::initializer_list<const Tensor*> inputs) {
  const Rule& r = rule_of(op);
  return Recorder::record(r.name, r.backward, out, std::span<const Tensor* const>(inputs.begin(), inputs.size()));
}

Context* record(Op op, Tensor& out, std::span<const Tensor* const> inputs) {
  const Rule& r = rule_of(op);
  return Recorder::record(r.name, r.backward, out, inputs);
}

}  // namespace xg
