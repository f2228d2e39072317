// Elementwise ops: arithmetic, math, comparisons, where, casts.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg {

namespace {

void require_defined(const Tensor& t, const char* op) {
  if (!t.defined()) throw ValueError(fmt::format("{}: an operand is an undefined tensor", op));
}

// Both operands in their common dtype (through differentiable casts when they differ).
std::pair<Tensor, Tensor> promoted(const Tensor& a, const Tensor& b, const char* op) {
  require_defined(a, op);
  require_defined(b, op);
  if (a.dtype() == b.dtype()) return {a, b};
  const Dtype d = promote(a.dtype(), b.dtype());
  return {a.to(d), b.to(d)};
}

template <class F>
Tensor binary_forward(const Tensor& a, const Tensor& b, const char* op, F f) {
  // Same shapes, or a 0-D operand (scalar arithmetic): the other operand's shape, no broadcast.
  const Shape& sa = a.shape();
  const Shape& sb = b.shape();
  Tensor out = kernels::empty(sa == sb || sb.empty() ? sa : sa.empty() ? sb : kernels::broadcast_shapes(sa, sb, op),
                              a.dtype());
  dispatch(a.dtype(), [&]<class T>() { kernels::binary_map<T>(a, b, out, f); });
  return out;
}

// NOTE [ Scalar operands ]
// `x * 0.5` runs as mul(x, s) with s a 0-D constant tensor of x's dtype. The last few such
// constants are kept per thread and handed out again, so a loop of scalar arithmetic allocates
// no tensor for its constants. Sharing is invisible: the constant is an internal input that
// needs no gradient and that nothing writes (an entry whose version moved is not reused).
Tensor scalar_like(const Tensor& t, double v) {
  if (!t.defined()) throw ValueError("scalar arithmetic on an undefined tensor");
  struct Entry {
    std::uint64_t bits;
    Dtype dtype;
    std::uint64_t version;
    Tensor value;
  };
  constexpr std::size_t kEntries = 8;
  thread_local std::array<Entry, kEntries> cache;
  thread_local std::size_t next = 0;
  const auto bits = std::bit_cast<std::uint64_t>(v);  // tells -0.0 from 0.0, each NaN from the others
  for (const Entry& e : cache)
    if (e.value.defined() && e.bits == bits && e.dtype == t.dtype() && e.version == e.value.impl()->storage->version)
      return e.value;
  Tensor s = full({}, v, t.dtype());
  cache[next++ % kEntries] = Entry{bits, t.dtype(), s.impl()->storage->version, s};
  return s;
}

// Comparison kernels produce constants: no graph.
template <class F>
Tensor compare(const Tensor& a0, const Tensor& b0, const char* op, F f) {
  NoGradGuard no_grad;
  auto [a, b] = promoted(a0, b0, op);
  return binary_forward(a, b, op, [f](auto x, auto y) { return static_cast<decltype(x)>(f(x, y) ? 1 : 0); });
}

}  // namespace

// ------------------------------------------------------------------------------- arithmetic
Tensor add(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "add");
  Tensor out = binary_forward(a, b, "add", [](auto x, auto y) { return x + y; });
  record(Op::Add, out, {&a, &b});
  return out;
}

Tensor sub(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "sub");
  Tensor out = binary_forward(a, b, "sub", [](auto x, auto y) { return x - y; });
  record(Op::Sub, out, {&a, &b});
  return out;
}

Tensor mul(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "mul");
  Tensor out = binary_forward(a, b, "mul", [](auto x, auto y) { return x * y; });
  if (Context* ctx = record(Op::Mul, out, {&a, &b})) ctx->save(a, b);
  return out;
}

Tensor div(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "div");
  Tensor out = binary_forward(a, b, "div", [](auto x, auto y) { return x / y; });
  if (Context* ctx = record(Op::Div, out, {&a, &b})) ctx->save(a, b);
  return out;
}

Tensor neg(const Tensor& a, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(a, "neg", [](auto x) { return -x; });
  record(Op::Neg, out, {&a});
  return out;
}

Tensor operator+(const Tensor& a, SitedTensor b) { return add(a, b.tensor, b.site); }
Tensor operator-(const Tensor& a, SitedTensor b) { return sub(a, b.tensor, b.site); }
Tensor operator*(const Tensor& a, SitedTensor b) { return mul(a, b.tensor, b.site); }
Tensor operator/(const Tensor& a, SitedTensor b) { return div(a, b.tensor, b.site); }
Tensor operator-(SitedTensor a) { return neg(a.tensor, a.site); }
Tensor operator+(SitedTensor a, double b) { return add(a.tensor, scalar_like(a.tensor, b), a.site); }
Tensor operator+(double a, SitedTensor b) { return add(scalar_like(b.tensor, a), b.tensor, b.site); }
Tensor operator-(SitedTensor a, double b) { return sub(a.tensor, scalar_like(a.tensor, b), a.site); }
Tensor operator-(double a, SitedTensor b) { return sub(scalar_like(b.tensor, a), b.tensor, b.site); }
Tensor operator*(SitedTensor a, double b) { return mul(a.tensor, scalar_like(a.tensor, b), a.site); }
Tensor operator*(double a, SitedTensor b) { return mul(scalar_like(b.tensor, a), b.tensor, b.site); }
Tensor operator/(SitedTensor a, double b) { return div(a.tensor, scalar_like(a.tensor, b), a.site); }
Tensor operator/(double a, SitedTensor b) { return div(scalar_like(b.tensor, a), b.tensor, b.site); }

// ------------------------------------------------------------------------------------- math
Tensor pow(const Tensor& x, double p, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "pow", [p](auto v) {
    using T = decltype(v);
    if (p == 2) return v * v;
    if (p == 1) return v;
    if (p == 0.5) return std::sqrt(v);
    return static_cast<T>(std::pow(v, static_cast<T>(p)));
  });
  if (Context* ctx = record(Op::Pow, out, {&x})) {
    ctx->save(x);
    ctx->scalar = p;
  }
  return out;
}

Tensor exp(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "exp", [](auto v) { return std::exp(v); });
  if (Context* ctx = record(Op::Exp, out, {&x})) ctx->save(out);
  return out;
}

Tensor log(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "log", [](auto v) { return std::log(v); });
  if (Context* ctx = record(Op::Log, out, {&x})) ctx->save(x);
  return out;
}

Tensor sqrt(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "sqrt", [](auto v) { return std::sqrt(v); });
  if (Context* ctx = record(Op::Sqrt, out, {&x})) ctx->save(out);
  return out;
}

Tensor abs(const Tensor& x, SourceSite site) {
  SiteScope site_scope(site);
  Tensor out = kernels::unary_op(x, "abs", [](auto v) { return std::abs(v); });
  if (Context* ctx = record(Op::Abs, out, {&x})) ctx->save(x);
  return out;
}

Tensor clamp(const Tensor& x, double lo, double hi, SourceSite site) {
  SiteScope site_scope(site);
  if (std::isnan(lo) || std::isnan(hi) || lo > hi)
    throw ValueError(fmt::format("clamp: lo = {} must not exceed hi = {}", lo, hi));
  Tensor out = kernels::unary_op(x, "clamp", [lo, hi](auto v) {
    using T = decltype(v);
    return std::isnan(v) ? v : std::min(std::max(v, static_cast<T>(lo)), static_cast<T>(hi));
  });
  if (Context* ctx = record(Op::Clamp, out, {&x})) {
    ctx->save(x);
    ctx->scalar = lo;
    ctx->scalar2 = hi;
  }
  return out;
}

Tensor maximum(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "maximum");
  Tensor out = binary_forward(a, b, "maximum", [](auto x, auto y) {
    return std::isnan(x) || std::isnan(y) ? x + y : std::max(x, y);
  });
  if (Context* ctx = record(Op::Maximum, out, {&a, &b})) ctx->save(a, b);
  return out;
}

Tensor minimum(const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  auto [a, b] = promoted(a0, b0, "minimum");
  Tensor out = binary_forward(a, b, "minimum", [](auto x, auto y) {
    return std::isnan(x) || std::isnan(y) ? x + y : std::min(x, y);
  });
  if (Context* ctx = record(Op::Minimum, out, {&a, &b})) ctx->save(a, b);
  return out;
}

Tensor where(const Tensor& mask, const Tensor& a0, const Tensor& b0, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(mask, "where");
  const auto ab = promoted(a0, b0, "where");  // no structured binding: clang 14 cannot capture one
  const Tensor &a = ab.first, &b = ab.second;   // in a lambda
  const Shape shape = kernels::broadcast_shapes(
      mask.shape(), kernels::broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  Tensor out = kernels::empty(shape, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    dispatch(mask.dtype(), [&]<class M>() {
      const M* pm = mask.impl()->template data<M>();
      const T* pa = a.impl()->template data<T>();
      const T* pb = b.impl()->template data<T>();
      T* po = out.impl()->template data<T>();
      std::array<std::vector<std::size_t>, 3> st{kernels::broadcast_strides(mask.shape(), shape),
                                                 kernels::broadcast_strides(a.shape(), shape),
                                                 kernels::broadcast_strides(b.shape(), shape)};
      kernels::broadcast_loop<3>(shape, st, [&](std::size_t i, const std::array<std::size_t, 3>& o) {
        po[i] = pm[o[0]] != 0 ? pa[o[1]] : pb[o[2]];
      });
    });
  });
  if (Context* ctx = record(Op::Where, out, {&mask, &a, &b})) ctx->save(mask.detach());
  return out;
}

// ------------------------------------------------------------------------------ comparisons
Tensor gt(const Tensor& a, const Tensor& b) { return compare(a, b, "gt", [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare(a, b, "ge", [](auto x, auto y) { return x >= y; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare(a, b, "lt", [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare(a, b, "le", [](auto x, auto y) { return x <= y; }); }
Tensor eq(const Tensor& a, const Tensor& b) { return compare(a, b, "eq", [](auto x, auto y) { return x == y; }); }

Tensor isfinite(const Tensor& a) {
  require_defined(a, "isfinite");
  NoGradGuard no_grad;
  return kernels::unary_op(a, "isfinite", [](auto v) { return std::isfinite(v) ? 1 : 0; });
}

// ------------------------------------------------------------------------------------ casts
Tensor to(const Tensor& x, Dtype dtype, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(x, "to");
  if (x.dtype() == dtype) return x;
  Tensor out = kernels::empty(x.shape(), dtype);
  dispatch(dtype, [&]<class T>() {
    dispatch(x.dtype(), [&]<class S>() {
      const S* p = x.impl()->template data<S>();
      std::transform(p, p + x.numel(), out.impl()->template data<T>(), [](S v) { return static_cast<T>(v); });
    });
  });
  if (Context* ctx = record(Op::Cast, out, {&x})) ctx->flag = x.dtype() == kFloat64;
  return out;
}

}  // namespace xg
