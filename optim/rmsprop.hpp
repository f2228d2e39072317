#pragma once
// RMSprop (torch.optim.RMSprop).
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

/// g = grad + weight_decay·p;  s ← αs + (1 − α)g²;
/// centered: a ← αa + (1 − α)g, denom = √(s − a²) + eps; else denom = √s + eps;
/// momentum > 0: b ← momentum·b + g/denom, p ← p − lr·b; else p ← p − lr·g/denom.
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions options = {});
  void step() override;
  const RMSpropOptions& options() const { return options_; }
  StateSlots state_slots() override {
    return {{{"square_avg", &square_avg_}, {"grad_avg", &grad_avg_}, {"momentum_buffer", &momentum_buffer_}}, {}};
  }

 private:
  RMSpropOptions options_;
  std::vector<Tensor> square_avg_, grad_avg_, momentum_buffer_;
};

}  // namespace xg::optim
