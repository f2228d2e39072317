#pragma once
// Internal: the fused update loop every optimizer runs — one pass over raw buffers per
// parameter, no temporaries, no graph.
#include <fmt/format.h>

#include "autodiff/grad_mode.hpp"
#include "autodiff/tensor.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg::optim::detail {

/// Calls f(i, p, g, s0, s1, s2) for every element, where p is the parameter's element (by
/// reference), g the gradient's value and s* the elements (by reference) of the state tensors
/// given (pass undefined tensors for unused slots). Bumps the parameter's version.
/// ShapeError unless the gradient has the parameter's shape and dtype.
inline void check_grad(const Tensor& param, const Tensor& grad) {
  if (grad.shape() != param.shape() || grad.dtype() != param.dtype())
    throw ShapeError(fmt::format("optimizer: gradient of shape {} ({}) for a parameter of shape {} ({})",
                                 shape_str(grad.shape()), dtype_name(grad.dtype()), shape_str(param.shape()),
                                 dtype_name(param.dtype())));
}

template <class F>
void for_each_element(Tensor& param, const Tensor& grad, Tensor* s0, Tensor* s1, Tensor* s2, F f) {
  check_grad(param, grad);
  dispatch(param.dtype(), [&]<class T>() {
    T* p = param.impl()->data<T>();
    const T* g = grad.impl()->data<T>();
    T dummy = 0;
    T* a = s0 ? s0->impl()->data<T>() : nullptr;
    T* b = s1 ? s1->impl()->data<T>() : nullptr;
    T* c = s2 ? s2->impl()->data<T>() : nullptr;
    const std::size_t n = param.numel();
    for (std::size_t i = 0; i < n; ++i) f(p[i], g[i], a ? a[i] : dummy, b ? b[i] : dummy, c ? c[i] : dummy);
  });
  ++param.impl()->storage->version;
}

}  // namespace xg::optim::detail
