#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "nn/normalization.hpp"

namespace xg::nn {

BatchNorm1d::BatchNorm1d(std::size_t features, double eps, double momentum)
    : features_(features), eps_(eps), momentum_(momentum) {
  if (features == 0) throw ValueError("BatchNorm1d: features must be positive");
  if (!(eps > 0)) throw ValueError(fmt::format("BatchNorm1d: eps = {} must be positive", eps));
  if (!(momentum >= 0 && momentum <= 1))
    throw ValueError(fmt::format("BatchNorm1d: momentum = {} must be in [0, 1]", momentum));
  weight = register_parameter("weight", ones({features}));
  bias = register_parameter("bias", zeros({features}));
  running_mean = register_buffer("running_mean", zeros({features}));
  running_var = register_buffer("running_var", ones({features}));
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  if (!x.defined()) throw ValueError(fmt::format("{}: undefined input", repr()));
  if ((x.dim() != 2 && x.dim() != 3) || x.shape()[1] != features_)
    throw ShapeError(fmt::format("{}: expected input {{N, {}}} or {{N, {}, L}}; got shape {}", repr(), features_,
                                 features_, shape_str(x.shape())));
  const bool three_d = x.dim() == 3;
  const std::vector<int> dims = three_d ? std::vector<int>{0, 2} : std::vector<int>{0};
  const Shape channel_shape = three_d ? Shape{1, features_, 1} : Shape{features_};
  auto per_channel = [&](const Tensor& t) { return three_d ? t.reshape(channel_shape) : t; };

  Tensor mean, var;
  if (is_training()) {
    // An empty batch (N = 0 or L = 0): an empty output, running statistics untouched (PyTorch).
    if (x.numel() == 0) return x * per_channel(weight) + per_channel(bias);
    const std::size_t count = x.numel() / features_;
    if (count <= 1)
      throw ValueError(fmt::format("{}: training needs more than one value per channel; got input shape {}", repr(),
                                   shape_str(x.shape())));
    mean = x.mean(dims, true);
    const Tensor centered = x - mean;
    var = (centered * centered).mean(dims, true);
    NoGradGuard no_grad;
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    running_mean.mul_(1 - momentum_).add_(mean.detach().reshape({features_}) * momentum_);
    running_var.mul_(1 - momentum_).add_(var.detach().reshape({features_}) * (momentum_ * unbias));
  } else {
    mean = per_channel(running_mean);
    var = per_channel(running_var);
  }
  return (x - mean) / sqrt(var + eps_) * per_channel(weight) + per_channel(bias);
}

std::string BatchNorm1d::repr() const {
  return fmt::format("BatchNorm1d({}, eps={}, momentum={})", features_, eps_, momentum_);
}

}  // namespace xg::nn
