#include "optim/sgd.hpp"
#include "optim/update.hpp"

namespace xg::optim {

namespace {

// NOTE [ SGD update loops ]
// One pass over raw buffers per parameter, in the parameter's own precision (as PyTorch computes
// its update: lr, momentum, … are converted to the element type first). The options are fixed
// per call, so each variant is its own branch-free loop that the compiler vectorises; the
// pointers never alias (parameter, gradient and velocity are distinct buffers).

// p ← p − lr·(g + wd·p)
template <class T>
void sgd_update(T* __restrict p, const T* __restrict g, std::size_t n, T lr, T wd) {
  if (wd == 0) {
    for (std::size_t i = 0; i < n; ++i) p[i] -= lr * g[i];
  } else {
    for (std::size_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
  }
}

// d = g + wd·p;  v ← d (first step) or mu·v + (1 − damp)·d;  p ← p − lr·(nesterov ? d + mu·v : v)
template <bool kFirst, bool kNesterov, class T>
void momentum_update(T* __restrict p, const T* __restrict g, T* __restrict v, std::size_t n, T lr, T mu, T keep,
                     T wd) {
  for (std::size_t i = 0; i < n; ++i) {
    const T d = g[i] + wd * p[i];
    const T nv = kFirst ? d : mu * v[i] + keep * d;
    v[i] = nv;
    p[i] -= lr * (kNesterov ? d + mu * nv : nv);
  }
}

template <class T>
void momentum_update(T* p, const T* g, T* v, std::size_t n, T lr, T mu, T keep, T wd, bool first, bool nesterov) {
  if (first)
    nesterov ? momentum_update<true, true>(p, g, v, n, lr, mu, keep, wd)
             : momentum_update<true, false>(p, g, v, n, lr, mu, keep, wd);
  else
    nesterov ? momentum_update<false, true>(p, g, v, n, lr, mu, keep, wd)
             : momentum_update<false, false>(p, g, v, n, lr, mu, keep, wd);
}

void sgd_step(Tensor& p, const Tensor& g, double lr, double wd) {
  detail::check_grad(p, g);
  dispatch(p.dtype(), [&]<class T>() {
    sgd_update<T>(p.impl()->data<T>(), g.impl()->data<T>(), p.numel(), static_cast<T>(lr), static_cast<T>(wd));
  });
  ++p.impl()->storage->version;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions options)
    : Optimizer(std::move(params), options.lr, "SGD"), options_(options) {
  check_option("SGD", "weight_decay", options.weight_decay, 0.0);
}

void SGD::step() {
  NoGradGuard no_grad;
  for (auto& p : params_) {
    const Tensor g = p.grad();
    if (g.defined()) sgd_step(p, g, lr_, options_.weight_decay);
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
  const double mu = options_.momentum;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    if (mu == 0) {  // plain SGD
      sgd_step(p, g, lr_, options_.weight_decay);
      continue;
    }
    detail::check_grad(p, g);
    const bool first = !velocity_[k].defined();
    Tensor& v = state(velocity_, k);
    dispatch(p.dtype(), [&]<class T>() {
      momentum_update<T>(p.impl()->data<T>(), g.impl()->data<T>(), v.impl()->data<T>(), p.numel(),
                         static_cast<T>(lr_), static_cast<T>(mu), static_cast<T>(1 - options_.dampening),
                         static_cast<T>(options_.weight_decay), first, options_.nesterov);
    });
    ++p.impl()->storage->version;
  }
}

}  // namespace xg::optim
