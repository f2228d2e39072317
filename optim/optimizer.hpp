#pragma once
// xg::optim::Optimizer — the base of every optimizer.
#include <string>
#include <utility>
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg::optim {

/// An optimizer's resumable per-parameter state, by slot name (for save_state / load_state in
/// optim/state.hpp). Each vector is parallel to params() (or empty before the first step); an
/// undefined tensor means "no state yet" for that parameter.
struct StateSlots {
  std::vector<std::pair<std::string, std::vector<Tensor>*>> tensors;
  std::vector<std::pair<std::string, std::vector<std::size_t>*>> counts;
};

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
  /// The optimizer's name ("Momentum", "Adam", ...), as its messages and state files use it.
  const char* name() const { return name_; }
  /// The state save_state/load_state (optim/state.hpp) write and restore; none by default.
  /// Returns pointers into this optimizer: callers other than those two should not edit it.
  virtual StateSlots state_slots() { return {}; }

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
