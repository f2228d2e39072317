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
// Every numeric argument is checked by the function the user called, so that the error names it
// (not a helper such as uniform_ that it calls).
void require_finite(const char* fn, const char* arg, double v) {
  if (!std::isfinite(v)) throw ValueError(fmt::format("init::{}: {} = {} must be finite", fn, arg, v));
}
void require_finite_nonnegative(const char* fn, const char* arg, double v) {
  if (!(std::isfinite(v) && v >= 0))
    throw ValueError(fmt::format("init::{}: {} = {} must be finite and >= 0", fn, arg, v));
}
void require_nonlinearity(const char* fn, Nonlinearity nl) {
  switch (nl) {
    case Nonlinearity::Linear:
    case Nonlinearity::Sigmoid:
    case Nonlinearity::Tanh:
    case Nonlinearity::ReLU:
    case Nonlinearity::LeakyReLU: return;
  }
  throw ValueError(fmt::format("init::{}: unknown nonlinearity {}", fn, static_cast<int>(nl)));
}
void require_mode(const char* fn, FanMode mode) {
  if (mode != FanMode::FanIn && mode != FanMode::FanOut)
    throw ValueError(fmt::format("init::{}: unknown fan mode {}", fn, static_cast<int>(mode)));
}
// NOTE [ Zero-element tensors and fans ]
// As PyTorch 1.13: kaiming_* return any zero-element tensor untouched ("Initializing
// zero-element tensors is a no-op") before looking at its fans; xavier_* compute the fans
// first, so a tensor of fewer than 2 dims is refused even when empty, and fan_in + fan_out = 0
// ({0, 0}: PyTorch divides by zero) is refused, while {0, 3} and {3, 0} are no-ops. A
// non-empty tensor needs at least 2 dims: the fans of a vector are not defined (PyTorch: "Fan
// in and fan out can not be computed for tensor with fewer than 2 dimensions"). The arguments
// are checked before all this. Returns false for a no-op.
enum class EmptyFirst { Yes, No };
bool needs_fill(const Tensor& t, const char* fn, EmptyFirst empty_first) {
  if (empty_first == EmptyFirst::Yes && t.numel() == 0) return false;
  if (t.dim() < 2)
    throw ValueError(fmt::format(
        "init::{}: fan_in and fan_out cannot be computed for a tensor with fewer than 2 dimensions, got shape {}", fn,
        shape_str(t.shape())));
  if (t.numel() != 0) return true;
  const auto [fan_in, fan_out] = calculate_fans(t.shape());
  if (fan_in + fan_out == 0)
    throw ValueError(fmt::format("init::{}: fan_in + fan_out = 0 for shape {}: the bound is undefined", fn,
                                 shape_str(t.shape())));
  return false;
}
// The bound or std that a formula produced from valid arguments can still overflow (gain 1e308).
void require_finite_result(const char* fn, const char* what, double v, const Tensor& t) {
  if (!std::isfinite(v))
    throw ValueError(fmt::format("init::{}: the {} for shape {} is {}, not finite", fn, what, shape_str(t.shape()), v));
}
}  // namespace

double calculate_gain(Nonlinearity nonlinearity, double param) {
  require_nonlinearity("calculate_gain", nonlinearity);
  require_finite("calculate_gain", "param", param);
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
  require_finite("uniform_", "lo", lo);
  require_finite("uniform_", "hi", hi);
  if (!(lo <= hi)) throw ValueError(fmt::format("init::uniform_: lo = {} must not exceed hi = {}", lo, hi));
  if (!std::isfinite(hi - lo))
    throw ValueError(fmt::format("init::uniform_: the range hi - lo = {} - ({}) is not finite", hi, lo));
  return fill_from(t, uniform(t.shape(), lo, hi, t.dtype()));
}

Tensor& normal_(Tensor& t, double mean, double std) {
  require_defined(t, "normal_");
  require_finite("normal_", "mean", mean);
  require_finite_nonnegative("normal_", "std", std);
  return fill_from(t, normal(t.shape(), mean, std, t.dtype()));
}

Tensor& xavier_uniform_(Tensor& t, double gain) {
  require_defined(t, "xavier_uniform_");
  require_finite_nonnegative("xavier_uniform_", "gain", gain);
  if (!needs_fill(t, "xavier_uniform_", EmptyFirst::No)) return t;
  auto [fan_in, fan_out] = calculate_fans(t.shape());  // both >= 1 here
  const double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  require_finite_result("xavier_uniform_", "range 2·bound", 2 * a, t);  // U(−a, a) draws −a + 2a·u
  return fill_from(t, uniform(t.shape(), -a, a, t.dtype()));
}

Tensor& xavier_normal_(Tensor& t, double gain) {
  require_defined(t, "xavier_normal_");
  require_finite_nonnegative("xavier_normal_", "gain", gain);
  if (!needs_fill(t, "xavier_normal_", EmptyFirst::No)) return t;
  auto [fan_in, fan_out] = calculate_fans(t.shape());
  const double std = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  require_finite_result("xavier_normal_", "std", std, t);
  return fill_from(t, normal(t.shape(), 0, std, t.dtype()));
}

namespace {
void check_kaiming(const char* fn, double a, FanMode mode, Nonlinearity nonlinearity) {
  require_finite(fn, "a", a);
  require_mode(fn, mode);
  require_nonlinearity(fn, nonlinearity);
}
// gain / √fan of a non-empty tensor of at least 2 dims (so fan >= 1).
double kaiming_std(const Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  auto [fan_in, fan_out] = calculate_fans(t.shape());
  const std::size_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  require_defined(t, "kaiming_uniform_");
  check_kaiming("kaiming_uniform_", a, mode, nonlinearity);
  if (!needs_fill(t, "kaiming_uniform_", EmptyFirst::Yes)) return t;
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  return fill_from(t, uniform(t.shape(), -bound, bound, t.dtype()));
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, Nonlinearity nonlinearity) {
  require_defined(t, "kaiming_normal_");
  check_kaiming("kaiming_normal_", a, mode, nonlinearity);
  if (!needs_fill(t, "kaiming_normal_", EmptyFirst::Yes)) return t;
  return fill_from(t, normal(t.shape(), 0, kaiming_std(t, a, mode, nonlinearity), t.dtype()));
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
