#pragma once
// SGD and SGD with momentum (PyTorch's torch.optim.SGD).
#include "optim/optimizer.hpp"

namespace xg::optim {

struct SGDOptions {
  double lr;
  double weight_decay = 0;
};

/// g = grad + weight_decay·p;  p ← p − lr·g
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return options_; }

 private:
  SGDOptions options_;
};

struct MomentumOptions {
  double lr;
  double momentum = 0.9;
  double dampening = 0;
  bool nesterov = false;
  double weight_decay = 0;
};

/// g = grad + weight_decay·p; first step v = g, later v = momentum·v + (1 − dampening)·g;
/// p ← p − lr·v, or with nesterov p ← p − lr·(g + momentum·v). momentum = 0 is plain SGD.
/// The same numbers as torch.optim.SGD(momentum=…, dampening=…, nesterov=…, weight_decay=…).
/// ValueError for negative lr, momentum, dampening or weight decay, and for nesterov without
/// momentum or with dampening.
class Momentum : public Optimizer {
 public:
  Momentum(std::vector<Tensor> params, MomentumOptions options);
  void step() override;
  const MomentumOptions& options() const { return options_; }
  /// The velocity of parameter i (undefined before its first step).
  const Tensor& velocity(std::size_t i) const;
  StateSlots state_slots() override { return {{{"velocity", &velocity_}}, {}}; }

 private:
  MomentumOptions options_;
  std::vector<Tensor> velocity_;
};

}  // namespace xg::optim
