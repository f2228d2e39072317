// Initialisers (torch.nn.init's formulas).
#include <cmath>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/grad_mode.hpp"
#include "nn/init.hpp"

namespace xg::nn::init {

namespace {
Tensor& fill_from(Tensor& t, const Tensor& values) {
  NoGradGuard no_grad;
  t.copy_(values);
  return t;
}
void require_defined(const Tensor& t, const char* fn) {
  if (!t.defined()) throw ValueError(fmt::format("init::{}: undefined tensor", fn));
}
}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid: return 1.0;
    case Nonlinearity::Tanh: return 5.0 / 3.0;
    case Nonlinearity::ReLU: return std::sqrt(2.0);
    case Nonlinearity::LeakyReLU: return std::sqrt(2.0 / (1.0 + param * param));
  }
  return 1.0;
}

std::pair<std::size_t, std::size_t> calculate_fans(const Shape& shape) {
  if (shape.empty()) throw ValueError("init: fan_in and fan_out are undefined for a 0-D tensor");
  if (shape.size() == 1) return {shape[0], shape[0]};
  std::size_t receptive = 1;
  for (std::size_t d = 2; d < shape.size(); ++d) receptive *= shape[d];
  return {shape[1] * receptive, shape[0] * receptive};
}

Tensor& uniform_(Tensor& t, double lo, double hi) {
  require_defined(t, "uniform_");
  return fill_from(t, uniform(t.shape(), lo, hi, t.dtype()));
}

Tensor& normal_(Tensor& t, double mean, double std) {
  require_defined(t, "normal_");
  return fill_from(t, normal(t.shape(), mean, std, t.dtype()));
}

Tensor& xavier_uniform_(Tensor& t, double gain) {
  require_defined(t, "xavier_uniform_");
  auto [fan_in, fan_out] = calculate_fans(t.shape());
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return uniform_(t, -a, a);
}

Tensor& xavier_normal_(Tensor& t, double gain) {
  require_defined(t, "xavier_normal_");
  auto [fan_in, fan_out] = calculate_fans(t.shape());
  return normal_(t, 0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)));
}

namespace {
double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  auto [fan_in, fan_out] = calculate_fans(t.shape());
  const std::size_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  if (fan == 0) throw ValueError(fmt::format("init: kaiming on shape {} with a zero fan", shape_str(t.shape())));
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  require_defined(t, "kaiming_uniform_");
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  return uniform_(t, -bound, bound);
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  require_defined(t, "kaiming_normal_");
  return normal_(t, 0, kaiming_std(t, a, mode, nonlinearity));
}

Tensor& zeros_(Tensor& t) { return constant_(t, 0.0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1.0); }
Tensor& constant_(Tensor& t, double value) {
  require_defined(t, "constant_");
  NoGradGuard no_grad;
  t.fill_(value);
  return t;
}

}  // namespace xg::nn::init
