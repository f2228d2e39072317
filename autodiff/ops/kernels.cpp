// Shared kernel helpers.
#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg::kernels {

Tensor empty(const Shape& shape, Dtype dtype) { return Tensor(make_impl(shape, dtype)); }
Tensor empty(Shape&& shape, Dtype dtype) { return Tensor(make_impl(std::move(shape), dtype)); }

std::size_t wrap_dim(int dim, std::size_t ndim, std::string_view op, const Shape& shape) {
  const long n = static_cast<long>(ndim);
  const long d = dim < 0 ? dim + n : dim;
  if (d < 0 || d >= n)
    throw ShapeError(fmt::format("{}: dim {} is out of range for a tensor of shape {} ({} dims)", op,
                                 dim, shape_str(shape), ndim));
  return static_cast<std::size_t>(d);
}

std::size_t wrap_dim_scalar_ok(int dim, const Shape& shape, std::string_view op) {
  if (!shape.empty()) return wrap_dim(dim, shape.size(), op, shape);
  if (dim != 0 && dim != -1)
    throw ShapeError(fmt::format("{}: dim {} is out of range for a 0-D tensor (use 0 or -1)", op, dim));
  return 0;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t ea = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::size_t eb = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (ea != eb && ea != 1 && eb != 1)
      throw ShapeError(fmt::format("{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})",
                                   op, shape_str(a), shape_str(b), i, ea, eb));
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

std::vector<std::size_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<std::size_t> strides(out.size(), 0);
  std::size_t stride = 1;
  for (std::size_t k = 0; k < in.size(); ++k) {
    const std::size_t din = in.size() - 1 - k;
    const std::size_t dout = out.size() - 1 - k;
    strides[dout] = in[din] == 1 ? 0 : stride;
    stride *= in[din];
  }
  return strides;
}

}  // namespace xg::kernels
