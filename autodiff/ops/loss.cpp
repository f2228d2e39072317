// Fused loss primitives: composing them from smaller ops is numerically unsafe (log of a
// softmax underflows; the kinks of relu/abs at 0 give BCE-with-logits a wrong gradient there;
// clamped logs give 0/0 in BCE's backward). nn::functional validates and reduces.
#include <algorithm>
#include <cmath>
#include <type_traits>

#include <fmt/format.h>

#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/kernels.hpp"
#include "autodiff/ops/vector_math.hpp"

namespace xg {

namespace {
void require_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  if (!a.defined() || !b.defined()) throw ValueError(fmt::format("{}: undefined operand", op));
  if (a.shape() != b.shape())
    throw ShapeError(fmt::format("{}: input shape {} and target shape {} must be equal", op, shape_str(a.shape()),
                                 shape_str(b.shape())));
}
}  // namespace

namespace fused {

Tensor softmax_cross_entropy(const Tensor& logits, const std::vector<std::size_t>& labels, SourceSite site) {
  SiteScope site_scope(site);
  if (!logits.defined()) throw ValueError("softmax_cross_entropy: undefined logits");
  if (logits.dim() != 2 || logits.shape()[0] != labels.size())
    throw ShapeError(fmt::format("softmax_cross_entropy: logits of shape {} need {} rows, one per label",
                                 shape_str(logits.shape()), labels.size()));
  const std::size_t n = logits.shape()[0], c = logits.shape()[1];
  for (std::size_t i = 0; i < n; ++i)
    if (labels[i] >= c)
      throw ValueError(fmt::format("softmax_cross_entropy: label {} at position {} is out of range for {} classes",
                                   labels[i], i, c));
  Tensor out = kernels::empty({n}, logits.dtype());
  // The softmax probabilities come out of the same exponentials; kept for backward, which then
  // needs no exponential of its own.
  Tensor probs = kernels::empty({n, c}, logits.dtype());
  dispatch(logits.dtype(), [&]<class T>() {
    const T* x = logits.impl()->data<T>();
    T* o = out.impl()->data<T>();
    T* p = probs.impl()->data<T>();
    for (std::size_t i = 0; i < n; ++i) {
      const T* row = x + i * c;
      T* e = p + i * c;
      const T mx = *std::max_element(row, row + c);
      for (std::size_t k = 0; k < c; ++k) e[k] = row[k] - mx;
      if constexpr (std::is_same_v<T, float>)
        vector_math::exp(e, e, c);
      else
        for (std::size_t k = 0; k < c; ++k) e[k] = std::exp(e[k]);
      double total = 0;
      for (std::size_t k = 0; k < c; ++k) total += e[k];
      o[i] = static_cast<T>(std::log(total) + static_cast<double>(mx) - static_cast<double>(row[labels[i]]));
      for (std::size_t k = 0; k < c; ++k) e[k] = static_cast<T>(e[k] / total);
    }
  });
  if (Context* ctx = record(Op::SoftmaxCrossEntropy, out, {&logits})) {
    ctx->save(logits, probs);
    ctx->indices = labels;
  }
  return out;
}

Tensor bce_with_logits(const Tensor& x0, const Tensor& t0, SourceSite site) {
  SiteScope site_scope(site);
  require_same_shape(x0, t0, "binary_cross_entropy_with_logits");
  const Dtype d = promote(x0.dtype(), t0.dtype());
  const Tensor x = x0.to(d), t = t0.to(d);
  Tensor out = kernels::empty(x.shape(), d);
  dispatch(d, [&]<class T>() {
    // (1 − t)·x + max(−x, 0) + log(1 + e^−|x|) (= max(x, 0) − x·t + ...): PyTorch's grouping,
    // so that infinite logits give its results too (x = +inf, t = 0: inf; otherwise NaN).
    kernels::binary_map<T>(x, t, out, [](T v, T y) {
      return (1 - y) * v + std::max(-v, T(0)) + std::log1p(std::exp(-std::abs(v)));
    });
  });
  if (Context* ctx = record(Op::BceWithLogits, out, {&x, &t})) ctx->save(x, t);
  return out;
}

Tensor bce(const Tensor& p0, const Tensor& t0, SourceSite site) {
  SiteScope site_scope(site);
  require_same_shape(p0, t0, "binary_cross_entropy");
  const Dtype d = promote(p0.dtype(), t0.dtype());
  const Tensor p = p0.to(d), t = t0.to(d);
  dispatch(d, [&]<class T>() {
    const T* pp = p.impl()->data<T>();
    for (std::size_t i = 0; i < p.numel(); ++i)
      if (!(pp[i] >= 0 && pp[i] <= 1))
        throw ValueError(fmt::format("binary_cross_entropy: input {} at flat index {} is not a probability in [0, 1]",
                                     pp[i], i));
  });
  Tensor out = kernels::empty(p.shape(), d);
  dispatch(d, [&]<class T>() {
    kernels::binary_map<T>(p, t, out, [](T v, T y) {  // −(t·log p + (1 − t)·log(1 − p)), logs ≥ −100
      const T lp = std::max(std::log(v), T(-100)), lq = std::max(std::log1p(-v), T(-100));
      return -(y * lp + (1 - y) * lq);
    });
  });
  if (Context* ctx = record(Op::Bce, out, {&p, &t})) ctx->save(p, t);
  return out;
}

}  // namespace fused

}  // namespace xg
