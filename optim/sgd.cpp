#include "optim/sgd.hpp"
#include "optim/update.hpp"

namespace xg::optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr, "SGD"), options_(options) {
  check_option("SGD", "weight_decay", options.weight_decay, 0.0);
}

void SGD::step() {
  NoGradGuard no_grad;
  const double lr = lr_, wd = options_.weight_decay;
  for (auto& p : params_) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    detail::for_each_element(p, g, nullptr, nullptr, nullptr, [=](auto& w, auto grad, auto&, auto&, auto&) {
      using T = std::remove_reference_t<decltype(w)>;
      w -= static_cast<T>(lr * (grad + wd * w));
    });
  }
}

Momentum::Momentum(std::vector<Tensor> params, MomentumOptions o)
    : Optimizer(std::move(params), o.lr, "Momentum"), options_(o) {
  check_option("Momentum", "momentum", o.momentum, 0.0);
  check_option("Momentum", "dampening", o.dampening, 0.0);
  check_option("Momentum", "weight_decay", o.weight_decay, 0.0);
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw ValueError(fmt::format("Momentum: nesterov needs momentum > 0 and dampening = 0 (got momentum = {}, "
                                 "dampening = {})",
                                 o.momentum, o.dampening));
  velocity_.resize(params_.size());
}

const Tensor& Momentum::velocity(std::size_t i) const { return velocity_.at(i); }

void Momentum::step() {
  NoGradGuard no_grad;
  const double lr = lr_, mu = options_.momentum, damp = options_.dampening, wd = options_.weight_decay;
  const bool nesterov = options_.nesterov;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (mu == 0) {  // plain SGD
      detail::for_each_element(p, g, nullptr, nullptr, nullptr, [=](auto& w, auto grad, auto&, auto&, auto&) {
        using T = std::remove_reference_t<decltype(w)>;
        w -= static_cast<T>(lr * (grad + wd * w));
      });
      continue;
    }
    const bool first = !velocity_[k].defined();
    Tensor& v = state(velocity_, k);
    detail::for_each_element(p, g, &v, nullptr, nullptr, [=](auto& w, auto grad, auto& vel, auto&, auto&) {
      using T = std::remove_reference_t<decltype(w)>;
      const double d = grad + wd * w;
      const double nv = first ? d : mu * vel + (1 - damp) * d;
      vel = static_cast<T>(nv);
      w -= static_cast<T>(lr * (nesterov ? d + mu * nv : nv));
    });
  }
}

}  // namespace xg::optim
