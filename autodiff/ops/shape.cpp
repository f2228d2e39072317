// Shape ops: reshape, transpose, flatten, expand, slice, concat, index_select, index_add.
#include <cstring>
#include <limits>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"
#include "autodiff/shape_check.hpp"

namespace xg {

namespace {

void require_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(fmt::format("{}: undefined tensor", op));
}

}  // namespace

Tensor reshape(const Tensor& x, Shape shape, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "reshape");
  if (const std::size_t n = checked_numel("reshape", shape); n != x.numel())
    throw ShapeError(fmt::format("reshape: cannot view shape {} ({} elements) as shape {} ({} elements)",
                                 shape_str(x.shape()), x.numel(), shape_str(shape), n));
  Tensor out(make_impl(std::move(shape), x.dtype(), x.impl()->storage));
  if (Context* ctx = record(Op::Reshape, out, {&x})) ctx->shape = x.shape();
  return out;
}

Tensor flatten(const Tensor& x, int start, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  const std::size_t s = kernels::wrap_dim(start, x.dim(), "flatten", x.shape());
  Shape shape(x.shape().begin(), x.shape().begin() + static_cast<long>(s));
  // The merged extent must itself fit, even when the tensor is empty through an earlier dim.
  const Shape merged(x.shape().begin() + static_cast<long>(s), x.shape().end());
  shape.push_back(checked_numel("flatten", merged));
  return reshape(x, shape);
}

Tensor transpose(const Tensor& x, int d0, int d1, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "transpose");
  if (x.dim() == 0 && (d0 == 0 || d0 == -1) && (d1 == 0 || d1 == -1)) return x;
  const std::size_t a = kernels::wrap_dim(d0, x.dim(), "transpose", x.shape());
  const std::size_t b = kernels::wrap_dim(d1, x.dim(), "transpose", x.shape());
  Shape shape = x.shape();
  std::swap(shape[a], shape[b]);
  // Input strides, permuted into the output's dim order.
  std::vector<std::size_t> strides(x.dim(), 1);
  for (std::size_t d = x.dim(); d-- > 1;) strides[d - 1] = strides[d] * x.shape()[d];
  std::swap(strides[a], strides[b]);
  Tensor out = kernels::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* in = x.impl()->data<T>();
    T* po = out.impl()->data<T>();
    std::array<std::vector<std::size_t>, 1> st{strides};
    kernels::broadcast_loop<1>(shape, st, [&](std::size_t i, const std::array<std::size_t, 1>& o) { po[i] = in[o[0]]; });
  });
  if (Context* ctx = record(Op::Transpose, out, {&x})) {
    ctx->dim = static_cast<int>(a);
    ctx->dim2 = static_cast<int>(b);
  }
  return out;
}

Tensor t(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "t");
  if (x.dim() < 2) return x;
  if (x.dim() > 2)
    throw ShapeError(fmt::format("t: expects a tensor of at most 2 dims, got shape {}; use transpose",
                                 shape_str(x.shape())));
  return transpose(x, 0, 1);
}

Tensor expand(const Tensor& x, Shape shape, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "expand");
  if (kernels::broadcast_shapes(x.shape(), shape, "expand") != shape)
    throw ShapeError(fmt::format("expand: shape {} cannot be expanded to shape {}", shape_str(x.shape()),
                                 shape_str(shape)));
  check_allocation("expand", shape, x.dtype());
  Tensor out = kernels::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* in = x.impl()->data<T>();
    T* po = out.impl()->data<T>();
    if (x.numel() == out.numel()) {
      std::memcpy(po, in, x.numel() * sizeof(T));
    } else if (x.numel() == 1) {
      std::fill_n(po, out.numel(), in[0]);
    } else {
      std::array<std::vector<std::size_t>, 1> st{kernels::broadcast_strides(x.shape(), shape)};
      kernels::broadcast_loop<1>(shape, st, [&](std::size_t i, const std::array<std::size_t, 1>& o) { po[i] = in[o[0]]; });
    }
  });
  record(Op::Expand, out, {&x});
  return out;
}

Tensor Tensor::clone() const { return xg::expand(*this, shape()); }

Tensor slice(const Tensor& x, int dim, std::size_t start, std::size_t end, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "slice");
  const std::size_t d = kernels::wrap_dim(dim, x.dim(), "slice", x.shape());
  if (start > end || end > x.shape()[d])
    throw ShapeError(fmt::format("slice: range [{}, {}) is out of bounds for dim {} of shape {}", start, end,
                                 dim, shape_str(x.shape())));
  Shape shape = x.shape();
  shape[d] = end - start;
  const auto oi = kernels::outer_inner(x.shape(), d);  // no structured binding: clang 14 cannot
  const std::size_t outer = oi.first, inner = oi.second;   // capture one in a lambda
  Tensor out = kernels::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* in = x.impl()->data<T>();
    T* po = out.impl()->data<T>();
    const std::size_t n = x.shape()[d], len = (end - start) * inner;
    for (std::size_t o = 0; o < outer; ++o)
      if (len) std::memcpy(po + o * len, in + (o * n + start) * inner, len * sizeof(T));
  });
  if (Context* ctx = record(Op::Slice, out, {&x})) {
    ctx->dim = static_cast<int>(d);
    ctx->shape = x.shape();
    ctx->indices = {start, end};
  }
  return out;
}

Tensor concat(std::vector<Tensor> tensors0, int dim, SourceSite site) {
  SiteScope site_scope(site);
  if (tensors0.empty()) throw ValueError("concat: needs at least one tensor");
  Dtype dtype = kFloat32;
  for (const auto& t : tensors0) {
    require_defined(t, "concat");
    dtype = promote(dtype, t.dtype());
  }
  std::vector<Tensor> tensors;
  for (auto& t : tensors0) tensors.push_back(t.to(dtype));
  const Shape& first = tensors[0].shape();
  if (first.empty()) throw ShapeError("concat: 0-D tensors cannot be concatenated; reshape them to {1}");
  const std::size_t d = kernels::wrap_dim(dim, first.size(), "concat", first);
  Shape shape = first;
  shape[d] = 0;
  std::vector<std::string> shapes;
  for (const auto& t : tensors) shapes.push_back(shape_str(t.shape()));
  for (const auto& t : tensors) {
    bool ok = t.dim() == first.size();
    for (std::size_t k = 0; ok && k < first.size(); ++k) ok = k == d || t.shape()[k] == first[k];
    if (!ok)
      throw ShapeError(fmt::format("concat: shapes {} must match in every dim except dim {}",
                                   fmt::join(shapes, ", "), dim));
    if (t.shape()[d] > std::numeric_limits<std::size_t>::max() - shape[d])
      throw ShapeError(fmt::format("concat: the extents along dim {} of shapes {} add up to more than 2^64 - 1", dim,
                                   fmt::join(shapes, ", ")));
    shape[d] += t.shape()[d];
  }
  check_allocation("concat", shape, dtype);
  const auto oi = kernels::outer_inner(shape, d);  // no structured binding: clang 14 cannot
  const std::size_t outer = oi.first, inner = oi.second;   // capture one in a lambda
  Tensor out = kernels::empty(shape, dtype);
  Shape sizes;
  dispatch(dtype, [&]<class T>() {
    T* po = out.impl()->data<T>();
    const std::size_t row = shape[d] * inner;
    std::size_t offset = 0;
    for (const auto& t : tensors) {
      const std::size_t len = t.shape()[d] * inner;
      const T* in = t.impl()->data<T>();
      for (std::size_t o = 0; o < outer; ++o)
        if (len) std::memcpy(po + o * row + offset, in + o * len, len * sizeof(T));
      offset += len;
      sizes.push_back(t.shape()[d]);
    }
  });
  std::vector<const Tensor*> inputs;
  for (const auto& t : tensors) inputs.push_back(&t);
  if (Context* ctx = record(Op::Concat, out, std::span<const Tensor* const>(inputs))) {
    ctx->dim = static_cast<int>(d);
    ctx->indices = sizes;
  }
  return out;
}

Tensor index_select(const Tensor& x, int dim, const std::vector<std::size_t>& index, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "index_select");
  if (x.dim() == 0) {  // one implicit dim of extent 1 (PyTorch); the result stays 0-D
    kernels::wrap_dim_scalar_ok(dim, x.shape(), "index_select");
    if (index.size() != 1)
      throw ValueError(fmt::format("index_select: a 0-D tensor takes exactly one index, got {}", index.size()));
    return reshape(index_select(reshape(x, {1}), 0, index), {});
  }
  const std::size_t d = kernels::wrap_dim(dim, x.dim(), "index_select", x.shape());
  const std::size_t n = x.shape()[d];
  for (std::size_t i : index)
    if (i >= n)
      throw ValueError(fmt::format("index_select: index {} is out of range for dim {} of shape {}", i, dim,
                                   shape_str(x.shape())));
  Shape shape = x.shape();
  shape[d] = index.size();
  const auto oi = kernels::outer_inner(x.shape(), d);  // no structured binding: clang 14 cannot
  const std::size_t outer = oi.first, inner = oi.second;   // capture one in a lambda
  Tensor out = kernels::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    const T* in = x.impl()->data<T>();
    T* po = out.impl()->data<T>();
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t j = 0; j < index.size(); ++j)
        if (inner) std::memcpy(po + (o * index.size() + j) * inner, in + (o * n + index[j]) * inner, inner * sizeof(T));
  });
  if (Context* ctx = record(Op::IndexSelect, out, {&x})) {
    ctx->dim = static_cast<int>(d);
    ctx->indices = index;
    ctx->shape = x.shape();
  }
  return out;
}

Tensor index_add(const Tensor& src, int dim, const std::vector<std::size_t>& index, std::size_t size, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(src, "index_add");
  const std::size_t d = kernels::wrap_dim(dim, src.dim(), "index_add", src.shape());
  if (src.shape()[d] != index.size())
    throw ShapeError(fmt::format("index_add: {} indices for dim {} of shape {}", index.size(), dim,
                                 shape_str(src.shape())));
  for (std::size_t i : index)
    if (i >= size)
      throw ValueError(fmt::format("index_add: index {} is out of range for a target extent of {}", i, size));
  Shape shape = src.shape();
  shape[d] = size;
  const auto oi = kernels::outer_inner(src.shape(), d);  // no structured binding: clang 14 cannot
  const std::size_t outer = oi.first, inner = oi.second;   // capture one in a lambda
  Tensor out = zeros(shape, src.dtype());
  dispatch(src.dtype(), [&]<class T>() {
    const T* in = src.impl()->data<T>();
    T* po = out.impl()->data<T>();
    for (std::size_t o = 0; o < outer; ++o)
      for (std::size_t j = 0; j < index.size(); ++j) {
        T* dst = po + (o * size + index[j]) * inner;
        const T* s = in + (o * index.size() + j) * inner;
        for (std::size_t k = 0; k < inner; ++k) dst[k] += s[k];
      }
  });
  if (Context* ctx = record(Op::IndexAdd, out, {&src})) {
    ctx->dim = static_cast<int>(d);
    ctx->indices = index;
  }
  return out;
}

}  // namespace xg
