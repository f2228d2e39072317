#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/tensor_impl.hpp"
#include "optim/clip.hpp"

namespace xg::optim {

namespace {

/// Calls f(element&) for every element of g's buffer (gradients are contiguous leaves), and
/// bumps its version.
template <class F>
void for_each_grad_element(const Tensor& g, F f) {
  dispatch(g.dtype(), [&]<class T>() {
    T* p = g.impl()->data<T>();
    const std::size_t n = g.numel();
    for (std::size_t i = 0; i < n; ++i) f(p[i]);
  });
  ++g.impl()->storage->version;
}

template <class F>
void for_each_grad_value(const Tensor& g, F f) {
  dispatch(g.dtype(), [&]<class T>() {
    const T* p = g.impl()->data<T>();
    const std::size_t n = g.numel();
    for (std::size_t i = 0; i < n; ++i) f(static_cast<double>(p[i]));
  });
}

}  // namespace

double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  if (!(max_norm >= 0)) throw ValueError(fmt::format("clip_grad_norm_: max_norm = {} must be >= 0", max_norm));
  if (!(norm_type > 0))
    throw ValueError(fmt::format("clip_grad_norm_: norm_type = {} must be > 0 (or infinity)", norm_type));
  std::vector<Tensor> grads;
  for (const auto& p : params)
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;

  const bool inf_norm = std::isinf(norm_type);
  double total = 0;
  if (inf_norm) {
    for (const auto& g : grads)
      for_each_grad_value(g, [&](double x) {
        const double a = std::abs(x);
        if (a > total || std::isnan(a)) total = std::isnan(total) ? total : a;
      });
  } else {
    const bool two = norm_type == 2.0, one = norm_type == 1.0;
    double sum = 0;
    for (const auto& g : grads)
      for_each_grad_value(g, [&](double x) {
        const double a = std::abs(x);
        sum += two ? a * a : one ? a : std::pow(a, norm_type);
      });
    total = two ? std::sqrt(sum) : one ? sum : std::pow(sum, 1.0 / norm_type);
  }

  const double coef = std::min(max_norm / (total + 1e-6), 1.0);
  const double scale = std::isnan(total) ? total : coef;  // std::min drops a NaN; torch.clamp keeps it
  if (scale != 1.0) {
    NoGradGuard no_grad;
    for (const auto& g : grads)
      for_each_grad_element(g, [&](auto& x) {
        using T = std::remove_reference_t<decltype(x)>;
        x = static_cast<T>(x * scale);
      });
  }
  return total;
}

void clip_grad_value_(const std::vector<Tensor>& params, double clip_value) {
  if (!(clip_value >= 0)) throw ValueError(fmt::format("clip_grad_value_: clip_value = {} must be >= 0", clip_value));
  NoGradGuard no_grad;
  for (const auto& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    for_each_grad_element(p.grad(), [&](auto& x) {
      using T = std::remove_reference_t<decltype(x)>;
      const T hi = static_cast<T>(clip_value);
      if (x > hi) x = hi;
      else if (x < -hi) x = -hi;
    });
  }
}

}  // namespace xg::optim
