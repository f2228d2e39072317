#include <cmath>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "optim/optimizer.hpp"

namespace xg::optim {

void check_option(const char* optimizer, const char* option, double value, double lo, double hi) {
  if (!(value >= lo && value <= hi))
    throw ValueError(hi >= 1e300 ? fmt::format("{}: {} = {} must be >= {}", optimizer, option, value, lo)
                                 : fmt::format("{}: {} = {} must be in [{}, {}]", optimizer, option, value, lo, hi));
}

Optimizer::Optimizer(std::vector<Tensor> params) : Optimizer(std::move(params), 0.0, "Optimizer") {}

Optimizer::Optimizer(std::vector<Tensor> params, double lr, const char* name)
    : params_(std::move(params)), lr_(lr), name_(name) {
  if (params_.empty()) throw ValueError(fmt::format("{}: got an empty parameter list", name_));
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].defined()) throw ValueError(fmt::format("{}: parameter {} is undefined", name_, i));
    if (!params_[i].is_leaf())
      throw ValueError(fmt::format("{}: parameter {} (shape {}) is not a leaf tensor and cannot be optimized", name_,
                                   i, shape_str(params_[i].shape())));
  }
  check_option(name_, "lr", lr, 0.0);
}

Optimizer::~Optimizer() = default;

void Optimizer::zero_grad() {
  for (auto& p : params_) p.zero_grad();
}

void Optimizer::set_lr(double lr) {
  check_option(name_, "lr", lr, 0.0);
  lr_ = lr;
}

Tensor& Optimizer::state(std::vector<Tensor>& slots, std::size_t i) {
  if (slots.size() != params_.size()) slots.resize(params_.size());
  if (!slots[i].defined()) slots[i] = zeros_like(params_[i]);
  return slots[i];
}

}  // namespace xg::optim
