#include <cmath>

#include "optim/rmsprop.hpp"
#include "optim/update.hpp"

namespace xg::optim {

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions o)
    : Optimizer(std::move(params), o.lr, "RMSprop"), options_(o) {
  check_option("RMSprop", "alpha", o.alpha, 0.0);
  check_option("RMSprop", "eps", o.eps, 0.0);
  check_option("RMSprop", "weight_decay", o.weight_decay, 0.0);
  check_option("RMSprop", "momentum", o.momentum, 0.0);
}

void RMSprop::step() {
  NoGradGuard no_grad;
  const auto& o = options_;
  const double lr = lr_, alpha = o.alpha, eps = o.eps, wd = o.weight_decay, mu = o.momentum;
  const bool centered = o.centered;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    Tensor& s = state(square_avg_, k);
    Tensor* a = centered ? &state(grad_avg_, k) : nullptr;
    Tensor* b = mu > 0 ? &state(momentum_buffer_, k) : nullptr;
    detail::for_each_element(p, g, &s, a, b, [=](auto& w, auto grad, auto& sq, auto& avg, auto& buf) {
      using T = std::remove_reference_t<decltype(w)>;
      const double d = grad + wd * w;
      sq = static_cast<T>(alpha * sq + (1 - alpha) * d * d);
      double denom;
      if (centered) {
        avg = static_cast<T>(alpha * avg + (1 - alpha) * d);
        denom = std::sqrt(sq - static_cast<double>(avg) * avg) + eps;
      } else {
        denom = std::sqrt(static_cast<double>(sq)) + eps;
      }
      if (mu > 0) {
        buf = static_cast<T>(mu * buf + d / denom);
        w -= static_cast<T>(lr * buf);
      } else {
        w -= static_cast<T>(lr * d / denom);
      }
    });
  }
}

}  // namespace xg::optim
