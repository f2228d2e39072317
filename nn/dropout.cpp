#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "nn/dropout.hpp"

namespace xg::nn {

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0 && p <= 1)) throw ValueError(fmt::format("Dropout: p = {} must be in [0, 1]", p));
}

Tensor Dropout::forward(const Tensor& x) {
  if (!x.defined()) throw ValueError(fmt::format("{}: undefined input", repr()));
  if (!is_training() || p_ == 0) return x;
  Tensor mask;
  {
    NoGradGuard no_grad;  // a constant: survivors 1/(1 − p), dropped 0
    const double scale = p_ == 1 ? 0.0 : 1.0 / (1.0 - p_);
    mask = ge(rand(x.shape(), x.dtype()), full({}, p_, x.dtype())) * scale;
  }
  return x * mask;
}

std::string Dropout::repr() const { return fmt::format("Dropout(p={})", p_); }

}  // namespace xg::nn
