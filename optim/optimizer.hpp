#pragma once
// xg::optim::Optimizer — the base of every optimizer.
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg::optim {

/// Holds the parameters it updates (shared handles: the module sees every update). step() runs
/// without recording a graph, skips parameters whose .grad is undefined, and never edits .grad.
class Optimizer {
 public:
  /// ValueError for an empty list, an undefined tensor, or a tensor that is not a leaf.
  explicit Optimizer(std::vector<Tensor> params);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  virtual void step() = 0;
  /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();

  const std::vector<Tensor>& params() const { return params_; }
  double lr() const { return lr_; }
  /// Sets the learning rate (schedules use this); ValueError if negative or NaN.
  void set_lr(double lr);

 protected:
  Optimizer(std::vector<Tensor> params, double lr, const char* name);
  /// Per-parameter state tensors, zero-initialised on first use, parallel to params().
  Tensor& state(std::vector<Tensor>& slots, std::size_t i);

  std::vector<Tensor> params_;
  double lr_ = 0;
  const char* name_ = "Optimizer";
};

/// Throws ValueError naming `optimizer` and the option unless lo ≤ value (and value ≤ hi).
void check_option(const char* optimizer, const char* option, double value, double lo, double hi = 1e300);

}  // namespace xg::optim
