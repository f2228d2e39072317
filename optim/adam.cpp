#include <cmath>

#include "optim/adam.hpp"
#include "optim/update.hpp"

namespace xg::optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions options) : Adam(std::move(params), options, "Adam", false) {}

Adam::Adam(std::vector<Tensor> params, AdamOptions o, const char* name, bool decoupled)
    : Optimizer(std::move(params), o.lr, name), options_(o), decoupled_(decoupled) {
  check_option(name, "beta1", o.beta1, 0.0, 1.0 - 1e-12);
  check_option(name, "beta2", o.beta2, 0.0, 1.0 - 1e-12);
  check_option(name, "eps", o.eps, 0.0);
  check_option(name, "weight_decay", o.weight_decay, 0.0);
  steps_.assign(params_.size(), 0);
}

void Adam::step() {
  NoGradGuard no_grad;
  const auto& o = options_;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const std::size_t t = ++steps_[k];
    const double lr = lr_, b1 = o.beta1, b2 = o.beta2, eps = o.eps, wd = o.weight_decay;
    const double step_size = lr / (1 - std::pow(b1, static_cast<double>(t)));
    const double bc2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(t)));
    const bool decoupled = decoupled_, amsgrad = o.amsgrad;
    Tensor& m = state(exp_avg_, k);
    Tensor& v = state(exp_avg_sq_, k);
    Tensor* vmax = amsgrad ? &state(max_exp_avg_sq_, k) : nullptr;
    detail::for_each_element(p, g, &m, &v, vmax, [=](auto& w, auto grad, auto& m1, auto& m2, auto& mx) {
      using T = std::remove_reference_t<decltype(w)>;
      double d = grad;
      if (decoupled)
        w = static_cast<T>(w * (1 - lr * wd));
      else
        d += wd * w;
      m1 = static_cast<T>(b1 * m1 + (1 - b1) * d);
      m2 = static_cast<T>(b2 * m2 + (1 - b2) * d * d);
      double second = m2;
      if (amsgrad) {
        mx = std::max(mx, m2);
        second = mx;
      }
      w -= static_cast<T>(step_size * m1 / (std::sqrt(second) / bc2_sqrt + eps));
    });
  }
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o)
    : Adam(std::move(params), AdamOptions{o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, o.amsgrad}, "AdamW", true) {}

}  // namespace xg::optim
