#pragma once
// Learning-rate schedules (torch.optim.lr_scheduler): StepLR, ExponentialLR, CosineAnnealingLR
// and ReduceLROnPlateau. They drive an optimizer through Optimizer::lr() / set_lr().
#include <cstdint>

#include "optim/optimizer.hpp"

namespace xg::optim {

/// A schedule's resumable state (save_state / load_state in optim/state.hpp). The schedule's
/// constructor arguments (step_size, gamma, T_max, ...) are not part of it: the schedule that
/// loads is built with the same arguments, like the model that loads a checkpoint.
struct SchedulerState {
  std::int64_t last_epoch = 0;  // steps taken since construction
  double base_lr = 0;           // the optimizer's lr when the schedule was built
  double last_lr = 0;           // the lr the last step set
  // ReduceLROnPlateau only (the others keep the defaults):
  double best = 0;
  std::int64_t num_bad_epochs = 0;
  std::int64_t cooldown_counter = 0;
};

/// The base of every schedule. Holds a reference to the optimizer: the optimizer must outlive it.
class Scheduler {
 public:
  virtual ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  Optimizer& optimizer() const { return *opt_; }
  const char* name() const { return name_; }
  /// The learning rate the last step set (the optimizer's lr at construction before any step).
  double last_lr() const { return state_.last_lr; }
  /// Steps taken so far (PyTorch's last_epoch: 0 after construction).
  std::int64_t last_epoch() const { return state_.last_epoch; }
  double base_lr() const { return state_.base_lr; }

  SchedulerState state() const { return state_; }
  /// Restores a state from state(): ValueError (and nothing changed) for a negative or
  /// non-integral count, a negative or NaN learning rate, or a NaN best. Does not touch the
  /// optimizer (its lr is part of the optimizer's own state). Any count up to INT64_MAX loads;
  /// a step() that would take a count past INT64_MAX is a ValueError naming the schedule and
  /// the count, and changes nothing (never a signed overflow).
  void load_state(const SchedulerState& state);

 protected:
  Scheduler(Optimizer& opt, const char* name);
  Optimizer* opt_;
  const char* name_;
  SchedulerState state_;
};

/// A schedule stepped once per epoch with no argument.
class LRScheduler : public Scheduler {
 public:
  /// last_epoch ← last_epoch + 1, then sets the optimizer's lr to the schedule's value.
  /// ValueError (nothing changed) when last_epoch is already INT64_MAX.
  void step();

 protected:
  using Scheduler::Scheduler;
  /// The lr for state_.last_epoch (already advanced); `current` is the optimizer's lr now.
  virtual double next_lr(double current) const = 0;
};

/// lr ← lr·gamma every step_size steps (torch.optim.lr_scheduler.StepLR, its recursive form:
/// the same bits as PyTorch). ValueError unless step_size ≥ 1 and gamma is finite and > 0.
class StepLR : public LRScheduler {
 public:
  StepLR(Optimizer& opt, std::int64_t step_size, double gamma = 0.1);

 private:
  double next_lr(double current) const override;
  std::int64_t step_size_;
  double gamma_;
};

/// lr ← lr·gamma every step (torch.optim.lr_scheduler.ExponentialLR, recursive form).
/// ValueError unless gamma is finite and > 0.
class ExponentialLR : public LRScheduler {
 public:
  ExponentialLR(Optimizer& opt, double gamma);

 private:
  double next_lr(double current) const override;
  double gamma_;
};

/// lr(t) = eta_min + (base_lr − eta_min)·(1 + cos(π·t/T_max))/2, the closed form of
/// torch.optim.lr_scheduler.CosineAnnealingLR (periodic: it climbs back to base_lr at 2·T_max).
/// PyTorch's step() uses a recursive form equal to this up to rounding (≤ 1e-15 relative over
/// t = 0..2·T_max; see tests/test_optim_schedule.cpp). ValueError unless T_max ≥ 1 and eta_min
/// is finite and ≥ 0.
class CosineAnnealingLR : public LRScheduler {
 public:
  CosineAnnealingLR(Optimizer& opt, std::int64_t T_max, double eta_min = 0);

 private:
  double next_lr(double current) const override;
  std::int64_t t_max_;
  double eta_min_;
};

struct ReduceLROnPlateauOptions {
  enum class Mode { Min, Max };
  enum class ThresholdMode { Rel, Abs };
  Mode mode = Mode::Min;
  double factor = 0.1;
  std::int64_t patience = 10;
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::Rel;
  std::int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

/// torch.optim.lr_scheduler.ReduceLROnPlateau: step(metric) counts the epochs in a row whose
/// metric is not better than the best so far (min/rel: metric < best·(1 − threshold); max/rel:
/// metric > best·(1 + threshold); abs: ∓ threshold); after more than `patience` of them the lr
/// becomes max(lr·factor, min_lr) (unless that changes it by eps or less), followed by `cooldown`
/// epochs in which bad epochs are not counted. A NaN metric is never better (a bad epoch), as
/// in PyTorch. ValueError unless 0 ≤ factor < 1, patience ≥ 0, threshold ≥ 0, cooldown ≥ 0,
/// min_lr ≥ 0 and eps ≥ 0 (all finite).
class ReduceLROnPlateau : public Scheduler {
 public:
  using Options = ReduceLROnPlateauOptions;
  explicit ReduceLROnPlateau(Optimizer& opt, Options options = {});
  /// One epoch's metric. ValueError (nothing changed) when last_epoch, or num_bad_epochs for a
  /// bad epoch, would pass INT64_MAX.
  void step(double metric);
  const Options& options() const { return options_; }
  double best() const { return state_.best; }
  std::int64_t num_bad_epochs() const { return state_.num_bad_epochs; }

 private:
  bool is_better(double a, double best) const;
  Options options_;
};

}  // namespace xg::optim
