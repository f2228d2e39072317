#pragma once
// Dropout.
#include "nn/module.hpp"

namespace xg::nn {

/// Training: each element is zeroed with probability p and the survivors scaled by 1/(1 − p)
/// (inverted dropout), the mask drawn from xg's global generator (manual_seed reproduces it).
/// Eval, or p = 0: identity. p must be in [0, 1] (ValueError); p = 1 zeroes everything.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double p() const { return p_; }

 private:
  double p_;
};

}  // namespace xg::nn
