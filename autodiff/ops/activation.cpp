// Activations. sigmoid, tanh, relu, softmax and log_softmax are fused primitives (their
// composed forms overflow or produce 0·∞ in float32); the rest are compositions.
#include <cmath>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"
#include "autodiff/ops/vector_math.hpp"

namespace xg {

namespace {

// Applies f(in, out, n, stride) to every slice of x along dim (n elements, `stride` apart).
template <class T, class F>
void for_each_slice(const Tensor& x, std::size_t dim, T* out, F f) {
  const auto [outer, inner] = kernels::outer_inner(x.shape(), dim);
  const std::size_t n = x.shape()[dim];
  const T* in = x.impl()->data<T>();
  for (std::size_t o = 0; o < outer; ++o)
    for (std::size_t i = 0; i < inner; ++i) f(in + o * n * inner + i, out + o * n * inner + i, n, inner);
}

Tensor softmax_like(const Tensor& x, int dim, const char* op, Op id, bool log) {
  if (!x.defined()) throw ValueError(fmt::format("{}: undefined tensor", op));
  const std::size_t d = kernels::wrap_dim_scalar_ok(dim, x.shape(), op);
  Tensor out = kernels::empty(x.shape(), x.dtype());
  if (x.dim() == 0) {  // a 0-D tensor is a single slice
    dispatch(x.dtype(), [&]<class T>() { out.impl()->data<T>()[0] = log ? T(0) : T(1); });
  } else {
    dispatch(x.dtype(), [&]<class T>() {
      for_each_slice<T>(x, d, out.impl()->data<T>(), [log](const T* in, T* o, std::size_t n, std::size_t st) {
        T mx = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < n; ++k) mx = std::max(mx, in[k * st]);
        // No special case for infinite maxima (PyTorch has none): a slice holding +inf, or only
        // -inf, gives NaN everywhere (inf - inf), as torch.softmax / log_softmax do.
        double total = 0;
        for (std::size_t k = 0; k < n; ++k) total += std::exp(static_cast<double>(in[k * st] - mx));
        if (log) {
          const T lse = static_cast<T>(std::log(total));
          for (std::size_t k = 0; k < n; ++k) o[k * st] = in[k * st] - mx - lse;
        } else {
          for (std::size_t k = 0; k < n; ++k) o[k * st] = static_cast<T>(std::exp(static_cast<double>(in[k * st] - mx)) / total);
        }
      });
    });
  }
  if (Context* ctx = record(id, out, {&x})) {
    ctx->save(out);
    ctx->dim = static_cast<int>(d);
  }
  return out;
}

// float32 through a vectorised kernel of vector_math.hpp (out[i] = f(x[i]) over the buffer);
// other dtypes, and the undefined-tensor error, through the scalar formula.
template <class F>
Tensor float32_vectorised_or(const Tensor& x, std::string_view op, void (*vectorised)(const float*, float*, std::size_t),
                             F scalar) {
  if (!x.defined() || x.dtype() != kFloat32) return kernels::unary_op(x, op, scalar);
  Tensor out = kernels::empty(x.shape(), kFloat32);
  vectorised(x.impl()->data<float>(), out.impl()->data<float>(), x.numel());
  return out;
}

Tensor positive_mask(const Tensor& x) {
  NoGradGuard no_grad;
  return gt(x, zeros({}, x.dtype()));
}

}  // namespace

Tensor sigmoid(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = float32_vectorised_or(x, "sigmoid", vector_math::sigmoid, [](auto v) {
    using T = decltype(v);
    if (v >= 0) return T(1) / (T(1) + std::exp(-v));
    const T e = std::exp(v);
    return e / (T(1) + e);
  });
  if (Context* ctx = record(Op::Sigmoid, out, {&x})) ctx->save(out);
  return out;
}

Tensor tanh(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = float32_vectorised_or(x, "tanh", vector_math::tanh, [](auto v) { return std::tanh(v); });
  if (Context* ctx = record(Op::Tanh, out, {&x})) ctx->save(out);
  return out;
}

Tensor relu(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "relu", [](auto v) { return v > 0 ? v : decltype(v)(0); });
  if (Context* ctx = record(Op::Relu, out, {&x})) ctx->save(out);
  return out;
}

Tensor step(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "step", [](auto v) { return v > 0 ? decltype(v)(1) : decltype(v)(0); });
  record(Op::Step, out, {&x});
  return out;
}

Tensor softmax(const Tensor& x, int dim, SourceSite site) {
  SiteScope site_scope(site);
  return softmax_like(x, dim, "softmax", Op::Softmax, false);
}
Tensor log_softmax(const Tensor& x, int dim, SourceSite site) {
  SiteScope site_scope(site);
  return softmax_like(x, dim, "log_softmax", Op::LogSoftmax, true);
}

Tensor leaky_relu(const Tensor& x, double slope, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined()) throw ValueError("leaky_relu: undefined tensor");
  return where(positive_mask(x), x, x * slope);
}

Tensor elu(const Tensor& x, double alpha, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined()) throw ValueError("elu: undefined tensor");
  // exp only sees the non-positive part, so large x cannot overflow into inf·0 in backward.
  const Tensor negative_part = clamp(x, -std::numeric_limits<double>::infinity(), 0.0);
  return where(positive_mask(x), x, alpha * (exp(negative_part) - 1.0));
}

Tensor prelu(const Tensor& x, const Tensor& weight, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined() || !weight.defined()) throw ValueError("prelu: undefined operand");
  if (weight.dim() != 1)
    throw ShapeError(fmt::format("prelu: weight must be 1-D ({{1}} or {{C}}); got shape {}", shape_str(weight.shape())));
  Tensor w = weight;
  const std::size_t c = weight.numel();
  if (c != 1) {
    if (x.dim() < 2 || x.shape()[1] != c)
      throw ShapeError(fmt::format(
          "prelu: weight of shape {} needs an input with {} channels in dim 1; got input shape {}",
          shape_str(weight.shape()), c, shape_str(x.shape())));
    Shape ws(x.dim(), 1);
    ws[1] = c;
    w = reshape(weight, ws);
  }
  return where(positive_mask(x), x, w * x);
}

Tensor identity(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  if (!x.defined()) throw ValueError("identity: undefined tensor");
  return x;
}

}  // namespace xg
