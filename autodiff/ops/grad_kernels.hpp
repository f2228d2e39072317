#pragma once
// Internal: direct kernels for the backward rules of elementwise ops.
//
// NOTE [ Backward fast paths ]
// A rule written with xg ops (g * (1 − y·y) for tanh) is differentiable again, which
// create_graph needs, but it builds several temporaries and scalar tensors per call. When
// backward runs without create_graph (grad mode off inside the rule), the rules below compute
// the same formula in one loop instead, and, when the incoming gradient g is referenced by
// nobody but the engine (the usual case: it was summed into a buffer the engine owns), they
// overwrite g's own buffer and return it: a chain of elementwise ops then runs its whole
// backward pass without allocating. With create_graph, or shapes the loop does not cover
// (broadcasting other than against a one-element tensor), the composed formula runs.
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg::grad_kernels {

/// True when g's elements may be overwritten: grad mode is off (no create_graph) and the
/// handle the rule received is the only reference to g and to its storage.
inline bool reusable(const Tensor& g) {
  return g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 && !g.impl()->grad_fn;
}

/// Whether the direct loop applies to g with operand x: no create_graph, same dtype, and x of
/// g's shape or a single element.
inline bool direct(const Tensor& g, const Tensor& x) {
  return !is_grad_enabled() && x.defined() && x.dtype() == g.dtype() &&
         (x.numel() == 1 || x.shape() == g.shape());
}

/// out[i] = f(g[i], x[i]) (x[0] when x has one element), in g's buffer when `may_reuse` and g
/// is reusable, else in a new tensor of g's shape. Callers check direct(g, x) first.
template <class F>
Tensor map(const Tensor& g, const Tensor& x, bool may_reuse, F f) {
  Tensor out = may_reuse && reusable(g) ? g : kernels::empty(g.shape(), g.dtype());
  dispatch(g.dtype(), [&]<class T>() {
    const T* pg = g.impl()->data<T>();
    const T* px = x.impl()->data<T>();
    T* po = out.impl()->data<T>();
    const std::size_t n = g.numel();
    if (x.numel() == 1 && n != 1) {
      const T s = px[0];
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pg[i], s);
    } else {
      for (std::size_t i = 0; i < n; ++i) po[i] = f(pg[i], px[i]);
    }
  });
  if (out.impl() == g.impl()) ++out.impl()->storage->version;
  return out;
}

}  // namespace xg::grad_kernels
