#pragma once
// Internal helpers for op kernels: output allocation, dim normalisation and the broadcast loop.
// Every tensor is contiguous and row-major, so kernels work on raw pointers.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "autodiff/tensor.hpp"
#include "autodiff/tensor_impl.hpp"

namespace xg::kernels {

/// A fresh, uninitialised tensor.
Tensor empty(const Shape& shape, Dtype dtype);
Tensor empty(Shape&& shape, Dtype dtype);

/// Normalises a possibly negative dim against `ndim`; ShapeError naming `op` if out of range.
std::size_t wrap_dim(int dim, std::size_t ndim, std::string_view op, const Shape& shape);
/// wrap_dim for ops that, as in PyTorch, treat a 0-D tensor as having one dim: dim 0 or -1 of
/// a 0-D tensor is 0; any other dim is a ShapeError naming the op.
std::size_t wrap_dim_scalar_ok(int dim, const Shape& shape, std::string_view op);

/// The broadcast of two shapes (PyTorch rules); ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

/// Element strides of `in` aligned to `out` (right-aligned), 0 along broadcast dims.
std::vector<std::size_t> broadcast_strides(const Shape& in, const Shape& out);

/// Calls body(i, offs) for every element i of `out` in row-major order, where offs[k] is the
/// element offset in input k (strides from broadcast_strides). The innermost dim is a tight loop.
template <std::size_t N, class Body>
void broadcast_loop(const Shape& out, const std::array<std::vector<std::size_t>, N>& strides,
                    Body&& body) {
  const std::size_t nd = out.size();
  std::size_t total = 1;
  for (auto e : out) total *= e;
  if (total == 0) return;
  if (nd == 0) {
    std::array<std::size_t, N> offs{};
    body(std::size_t{0}, offs);
    return;
  }
  const std::size_t inner = out[nd - 1];
  std::array<std::size_t, N> inner_stride;
  for (std::size_t k = 0; k < N; ++k) inner_stride[k] = strides[k][nd - 1];
  std::vector<std::size_t> counter(nd, 0);
  std::array<std::size_t, N> base{};
  for (std::size_t i = 0; i < total; i += inner) {
    std::array<std::size_t, N> offs = base;
    for (std::size_t j = 0; j < inner; ++j) {
      body(i + j, offs);
      for (std::size_t k = 0; k < N; ++k) offs[k] += inner_stride[k];
    }
    // advance the odometer over the outer dims
    for (std::size_t d = nd - 1; d-- > 0;) {
      ++counter[d];
      for (std::size_t k = 0; k < N; ++k) base[k] += strides[k][d];
      if (counter[d] < out[d]) break;
      for (std::size_t k = 0; k < N; ++k) base[k] -= strides[k][d] * out[d];
      counter[d] = 0;
    }
  }
}

/// out = f(a, b) elementwise with broadcasting, a and b already of dtype T.
template <class T, class F>
void binary_map(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  const T* pa = a.impl()->data<T>();
  const T* pb = b.impl()->data<T>();
  T* po = out.impl()->data<T>();
  const std::size_t n = out.numel();
  if (a.shape() == out.shape() && b.shape() == out.shape()) {
    for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
  } else if (b.numel() == 1 && a.shape() == out.shape()) {
    const T s = pb[0];
    for (std::size_t i = 0; i < n; ++i) po[i] = f(pa[i], s);
  } else if (a.numel() == 1 && b.shape() == out.shape()) {
    const T s = pa[0];
    for (std::size_t i = 0; i < n; ++i) po[i] = f(s, pb[i]);
  } else {
    std::array<std::vector<std::size_t>, 2> st{broadcast_strides(a.shape(), out.shape()),
                                               broadcast_strides(b.shape(), out.shape())};
    broadcast_loop<2>(out.shape(), st, [&](std::size_t i, const std::array<std::size_t, 2>& o) {
      po[i] = f(pa[o[0]], pb[o[1]]);
    });
  }
}

/// The tensor viewed as {outer, shape[dim], inner}: the products of the extents before and after dim.
/// A tensor with no elements gives {0, 0}, whatever its other extents: loops over its slices do
/// nothing (an empty {2^63, 0} must not cost 2^63 iterations, nor wrap its products).
inline std::pair<std::size_t, std::size_t> outer_inner(const Shape& s, std::size_t dim) {
  for (const std::size_t e : s)
    if (e == 0) return {0, 0};
  std::size_t outer = 1, inner = 1;
  for (std::size_t d = 0; d < dim; ++d) outer *= s[d];
  for (std::size_t d = dim + 1; d < s.size(); ++d) inner *= s[d];
  return {outer, inner};
}

/// out = f(x) elementwise, x of dtype T.
template <class T, class F>
void unary_map(const Tensor& x, Tensor& out, F f) {
  const T* px = x.impl()->data<T>();
  T* po = out.impl()->data<T>();
  const std::size_t n = x.numel();
  for (std::size_t i = 0; i < n; ++i) po[i] = f(px[i]);
}

/// A new tensor f(x) elementwise (f called with float or double); ValueError naming `op` for an
/// undefined x.
template <class F>
Tensor unary_op(const Tensor& x, std::string_view op, F f) {
  if (!x.defined()) throw ValueError(std::string(op) + ": undefined tensor");
  Tensor out = kernels::empty(x.shape(), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { unary_map<T>(x, out, [&](T v) { return static_cast<T>(f(v)); }); });
  return out;
}

}  // namespace xg::kernels
