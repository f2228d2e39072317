// Losses: validation and reduction around the engine's ops.
#include <cmath>

#include <fmt/format.h>

#include "autodiff/ops.hpp"
#include "nn/functional.hpp"

namespace xg::nn::functional {

namespace {

Tensor reduce(const Tensor& per_element, Reduction reduction) {
  switch (reduction) {
    case Reduction::Mean: return mean(per_element);
    case Reduction::Sum: return sum(per_element);
    case Reduction::None: return per_element;
  }
  return per_element;
}

void require_defined(const Tensor& a, const Tensor& b, const char* op) {
  if (!a.defined() || !b.defined()) throw ValueError(fmt::format("{}: undefined input or target", op));
}

void require_same_shape(const Tensor& a, const Tensor& b, const char* op) {
  require_defined(a, b, op);
  if (a.shape() != b.shape())
    throw ShapeError(fmt::format("{}: input shape {} and target shape {} must be equal", op, shape_str(a.shape()),
                                 shape_str(b.shape())));
}

std::vector<std::size_t> class_labels(const Tensor& target, std::size_t classes) {
  std::vector<std::size_t> labels;
  const auto values = target.to_vector();
  labels.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double v = values[i];
    if (!(v == std::floor(v)) || v < 0 || v >= static_cast<double>(classes))
      throw ValueError(fmt::format("cross_entropy: target {} at position {} is not a class index in [0, {})", v, i,
                                   classes));
    labels.push_back(static_cast<std::size_t>(v));
  }
  return labels;
}

}  // namespace

Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction, SourceSite site) {
  SiteScope site_scope(site);
  require_same_shape(pred, target, "mse_loss");
  const Tensor diff = pred - target;
  return reduce(diff * diff, reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction, SourceSite site) {
  SiteScope site_scope(site);
  require_defined(logits, target, "cross_entropy");
  if (logits.dim() == 1) {  // one unbatched sample
    Tensor loss = cross_entropy(logits.reshape({1, logits.numel()}),
                                target.dim() == 0 ? target.reshape({1}) : target.reshape({1, target.numel()}),
                                reduction);  // N = 1: the mean and the sum are the one loss
    return reduction == Reduction::None ? loss.reshape({}) : loss;
  }
  if (logits.dim() != 2)
    throw ShapeError(fmt::format("cross_entropy: logits must be {{N, C}} or {{C}}; got shape {}",
                                 shape_str(logits.shape())));
  const std::size_t n = logits.shape()[0], c = logits.shape()[1];
  if (target.shape() == logits.shape()) {  // class probabilities
    Tensor per_sample = -sum(target * log_softmax(logits, 1), {1});
    // PyTorch's mean over an empty logits tensor is NaN, with C = 0 classes too: 0/0.
    if (reduction == Reduction::Mean && c == 0) return sum(per_sample) / 0.0;
    return reduce(per_sample, reduction);
  }
  if (target.dim() != 1 || target.shape()[0] != n)
    throw ShapeError(fmt::format(
        "cross_entropy: target of shape {} matches neither class indices [{}] nor probabilities {} for logits {}",
        shape_str(target.shape()), n, shape_str(logits.shape()), shape_str(logits.shape())));
  return reduce(fused::softmax_cross_entropy(logits, class_labels(target, c)), reduction);
}

Tensor binary_cross_entropy(const Tensor& prob, const Tensor& target, Reduction reduction, SourceSite site) {
  SiteScope site_scope(site);
  require_same_shape(prob, target, "binary_cross_entropy");
  return reduce(fused::bce(prob, target), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target, Reduction reduction, SourceSite site) {
  SiteScope site_scope(site);
  require_same_shape(logits, target, "binary_cross_entropy_with_logits");
  return reduce(fused::bce_with_logits(logits, target), reduction);
}

}  // namespace xg::nn::functional
