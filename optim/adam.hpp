#pragma once
// Adam and AdamW (torch.optim.Adam / AdamW, bias correction included).
#include <vector>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

/// At step t, with g = grad + weight_decay·p:
///   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  (amsgrad: v̂max ← max(v̂max, v))
///   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  void step() override;
  const AdamOptions& options() const { return options_; }
  /// Steps taken by parameter i.
  std::size_t step_count(std::size_t i) const { return steps_.at(i); }
  StateSlots state_slots() override {
    return {{{"exp_avg", &exp_avg_}, {"exp_avg_sq", &exp_avg_sq_}, {"max_exp_avg_sq", &max_exp_avg_sq_}},
            {{"step", &steps_}}};
  }

 protected:
  Adam(std::vector<Tensor> params, AdamOptions options, const char* name, bool decoupled);
  AdamOptions options_;
  bool decoupled_;  // AdamW: weight decay applied to p directly, not through g
  std::vector<Tensor> exp_avg_, exp_avg_sq_, max_exp_avg_sq_;
  std::vector<std::size_t> steps_;
};

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
};

/// Adam with decoupled weight decay: p ← p·(1 − lr·weight_decay) first, then the Adam step on
/// the plain gradient.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
};

}  // namespace xg::optim
