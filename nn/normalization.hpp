#pragma once
// Batch normalisation.
#include "nn/module.hpp"

namespace xg::nn {

/// BatchNorm1d over {N, C} or {N, C, L} inputs, per channel c:
///   y = (x − μ_c) / √(σ²_c + eps) · weight_c + bias_c
/// Training: μ and σ² (biased) are the batch statistics over N (and L); the running statistics
/// follow r ← (1 − momentum)·r + momentum·stat, with the unbiased variance (n/(n−1)·σ²) as
/// PyTorch. Eval: μ and σ² are the running statistics. Parameters `weight` (ones) and `bias`
/// (zeros), buffers `running_mean` (zeros) and `running_var` (ones). The gradient flows through
/// the batch statistics (it is a composition of engine ops).
class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(std::size_t features, double eps = 1e-5, double momentum = 0.1);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

  Tensor weight, bias, running_mean, running_var;

 private:
  std::size_t features_;
  double eps_, momentum_;
};

}  // namespace xg::nn
