// Reductions: sum, mean, max, argmax.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/engine.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg {

namespace {

// Sorted, wrapped, duplicate-free dims; an empty list means all dims (as torch.sum(x, dim=[])).
std::vector<int> normalize_dims(const Tensor& x, const std::vector<int>& dims, const char* op) {
  std::vector<int> out;
  if (x.dim() == 0) {  // a 0-D tensor has one implicit dim, 0 or -1, and nothing to reduce
    for (int d : dims)
      if (d != 0 && d != -1)
        throw ShapeError(fmt::format("{}: dim {} is out of range for a 0-D tensor (use 0 or -1)", op, d));
    return out;
  }
  if (dims.empty()) {
    for (std::size_t d = 0; d < x.dim(); ++d) out.push_back(static_cast<int>(d));
    return out;
  }
  for (int d : dims) out.push_back(static_cast<int>(kernels::wrap_dim(d, x.dim(), op, x.shape())));
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw ShapeError(fmt::format("{}: dims {} name a dim twice (tensor of shape {})", op,
                                 fmt::join(dims, ", "), shape_str(x.shape())));
  return out;
}

Shape keepdim_shape(const Shape& shape, const std::vector<int>& dims) {
  Shape k = shape;
  for (int d : dims) k[d] = 1;
  return k;
}

Shape reduced_shape(const Shape& shape, const std::vector<int>& dims) {
  Shape r;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (!std::binary_search(dims.begin(), dims.end(), static_cast<int>(d))) r.push_back(shape[d]);
  return r;
}

// out (shape kshape, contiguous) = sum of x over the dims where kshape has 1 and x does not.
template <class T>
void sum_kernel(const Tensor& x, const Shape& kshape, T* out) {
  using Acc = double;
  const T* in = x.impl()->data<T>();
  const std::size_t n = x.numel();
  std::size_t out_n = 1;
  for (auto e : kshape) out_n *= e;
  if (out_n == 0) return;
  if (out_n == 1) {
    Acc acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc += in[i];
    out[0] = static_cast<T>(acc);
    return;
  }
  // Leading block reduced (e.g. a bias gradient {N, C} -> {1, C}): column sums.
  std::size_t lead = 0;
  while (lead < kshape.size() && kshape[lead] == 1) ++lead;
  bool rest_kept = true;
  for (std::size_t d = lead; d < kshape.size(); ++d) rest_kept = rest_kept && kshape[d] == x.shape()[d];
  if (rest_kept) {
    const std::size_t rows = n / out_n;
    std::fill_n(out, out_n, T(0));
    for (std::size_t r = 0; r < rows; ++r) {
      const T* row = in + r * out_n;
      for (std::size_t j = 0; j < out_n; ++j) out[j] += row[j];
    }
    return;
  }
  // Trailing block reduced: row sums.
  std::size_t trail = kshape.size();
  while (trail > 0 && kshape[trail - 1] == 1) --trail;
  bool head_kept = true;
  for (std::size_t d = 0; d < trail; ++d) head_kept = head_kept && kshape[d] == x.shape()[d];
  if (head_kept) {
    const std::size_t len = n / out_n;
    for (std::size_t r = 0; r < out_n; ++r) {
      Acc acc = 0;
      const T* row = in + r * len;
      for (std::size_t j = 0; j < len; ++j) acc += row[j];
      out[r] = static_cast<T>(acc);
    }
    return;
  }
  std::vector<Acc> acc(out_n, 0);
  std::array<std::vector<std::size_t>, 1> st{kernels::broadcast_strides(kshape, x.shape())};
  kernels::broadcast_loop<1>(x.shape(), st, [&](std::size_t i, const std::array<std::size_t, 1>& o) {
    acc[o[0]] += in[i];
  });
  std::transform(acc.begin(), acc.end(), out, [](Acc v) { return static_cast<T>(v); });
}

// Scans each slice along `dim`: returns (max value, first index of it); NaN wins, as PyTorch.
template <class T, class Visit>
void scan_max(const Tensor& x, std::size_t dim, Visit visit) {
  const auto [outer, inner] = kernels::outer_inner(x.shape(), dim);
  const std::size_t n = x.shape()[dim];
  const T* in = x.impl()->data<T>();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) {
      const T* base = in + o * n * inner + i;
      std::size_t best = 0;
      for (std::size_t k = 1; k < n && !std::isnan(base[best * inner]); ++k)
        if (base[k * inner] > base[best * inner] || std::isnan(base[k * inner])) best = k;
      visit(o * inner + i, o * n * inner + best * inner + i, base[best * inner]);
    }
}

std::size_t checked_reduce_dim(const Tensor& x, int dim, const char* op) {
  if (!x.defined()) throw ValueError(fmt::format("{}: undefined tensor", op));
  const std::size_t d = kernels::wrap_dim(dim, x.dim(), op, x.shape());
  if (x.shape()[d] == 0)
    throw ShapeError(fmt::format("{}: dim {} of shape {} has extent 0: no maximum exists", op, dim,
                                 shape_str(x.shape())));
  return d;
}

}  // namespace

Tensor sum(const Tensor& x, std::vector<int> dims0, bool keepdim, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined()) throw ValueError("sum: undefined tensor");
  const std::vector<int> dims = normalize_dims(x, dims0, "sum");
  const Shape kshape = keepdim_shape(x.shape(), dims);
  Tensor out = kernels::empty(keepdim ? kshape : reduced_shape(x.shape(), dims), x.dtype());
  dispatch(x.dtype(), [&]<class T>() { sum_kernel<T>(x, kshape, out.impl()->data<T>()); });
  if (Context* ctx = record(Op::Sum, out, {&x})) {
    ctx->shape = x.shape();
    ctx->dims = dims;
    ctx->flag = keepdim;
  }
  return out;
}

Tensor sum(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  return sum(x, {}, false);
}

Tensor mean(const Tensor& x, std::vector<int> dims0, bool keepdim, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined()) throw ValueError("mean: undefined tensor");
  const std::vector<int> dims = normalize_dims(x, dims0, "mean");
  std::size_t count = 1;
  for (int d : dims) count *= x.shape()[d];
  return sum(x, dims, keepdim) / static_cast<double>(count);
}

Tensor mean(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  return mean(x, {}, false);
}

Tensor max(const Tensor& x, int dim, bool keepdim, SourceSite site) {
  SiteScope site_scope(site);
  if (x.defined() && x.dim() == 0) {  // one implicit dim (PyTorch): the maximum is the value
    kernels::wrap_dim_scalar_ok(dim, x.shape(), "max");
    return reshape(max(reshape(x, {1}), 0, false), {});
  }
  const std::size_t d = checked_reduce_dim(x, dim, "max");
  Shape kshape = x.shape();
  kshape[d] = 1;
  Shape rshape = x.shape();
  rshape.erase(rshape.begin() + static_cast<long>(d));
  Tensor out = kernels::empty(keepdim ? kshape : rshape, x.dtype());
  Tensor mask = zeros_like(x);  // one-hot of the first maximum: the route of the gradient
  dispatch(x.dtype(), [&]<class T>() {
    T* po = out.impl()->data<T>();
    T* pm = mask.impl()->data<T>();
    scan_max<T>(x, d, [&](std::size_t oi, std::size_t at, T v) {
      po[oi] = v;
      pm[at] = 1;
    });
  });
  if (Context* ctx = record(Op::Max, out, {&x})) {
    ctx->save(mask);
    ctx->shape = kshape;
  }
  return out;
}

Tensor argmax(const Tensor& x, int dim, bool keepdim) {
  if (x.defined() && x.dim() == 0) {  // one implicit dim (PyTorch): index 0
    kernels::wrap_dim_scalar_ok(dim, x.shape(), "argmax");
    return zeros({}, x.dtype());
  }
  const std::size_t d = checked_reduce_dim(x, dim, "argmax");
  Shape shape = x.shape();
  if (keepdim)
    shape[d] = 1;
  else
    shape.erase(shape.begin() + static_cast<long>(d));
  Tensor out = kernels::empty(shape, x.dtype());
  dispatch(x.dtype(), [&]<class T>() {
    T* po = out.impl()->data<T>();
    std::size_t stride = 1;
    for (std::size_t k = d + 1; k < x.dim(); ++k) stride *= x.shape()[k];
    const std::size_t n = x.shape()[d];
    scan_max<T>(x, d, [&](std::size_t oi, std::size_t at, T) {
      po[oi] = static_cast<T>((at / stride) % n);
    });
  });
  return out;
}

}  // namespace xg

namespace xg {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  if (shape.size() > g.dim() || kernels::broadcast_shapes(shape, g.shape(), "sum_to") != g.shape())
    throw ShapeError(fmt::format("sum_to: shape {} cannot be summed down to shape {}", shape_str(g.shape()),
                                 shape_str(shape)));
  const std::size_t lead = g.dim() - shape.size();
  std::vector<int> dims;
  for (std::size_t d = 0; d < g.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) dims.push_back(static_cast<int>(d));
  if (dims.empty()) return reshape(g, shape);
  return reshape(sum(g, dims, true), shape);
}

}  // namespace xg
