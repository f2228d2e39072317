#include <fmt/format.h>

#include "nn/loss.hpp"

namespace xg::nn {

Tensor Loss::forward(const Tensor&) {
  throw GraphError(fmt::format("{}: a loss takes two arguments, loss(pred, target)", repr()));
}

std::string Loss::reduction_name() const {
  switch (reduction_) {
    case Reduction::Mean: return "mean";
    case Reduction::Sum: return "sum";
    case Reduction::None: return "none";
  }
  return "mean";
}

Tensor MSELoss::forward(const Tensor& p, const Tensor& t) { return functional::mse_loss(p, t, reduction_); }
Tensor CrossEntropyLoss::forward(const Tensor& x, const Tensor& t) { return functional::cross_entropy(x, t, reduction_); }
Tensor BCELoss::forward(const Tensor& p, const Tensor& t) { return functional::binary_cross_entropy(p, t, reduction_); }
Tensor BCEWithLogitsLoss::forward(const Tensor& x, const Tensor& t) {
  return functional::binary_cross_entropy_with_logits(x, t, reduction_);
}

std::string MSELoss::repr() const { return fmt::format("MSELoss(reduction={})", reduction_name()); }
std::string CrossEntropyLoss::repr() const { return fmt::format("CrossEntropyLoss(reduction={})", reduction_name()); }
std::string BCELoss::repr() const { return fmt::format("BCELoss(reduction={})", reduction_name()); }
std::string BCEWithLogitsLoss::repr() const { return fmt::format("BCEWithLogitsLoss(reduction={})", reduction_name()); }

}  // namespace xg::nn
