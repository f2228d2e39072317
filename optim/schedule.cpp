#include <cmath>
#include <limits>
#include <numbers>

#include <fmt/format.h>

#include "optim/schedule.hpp"

namespace xg::optim {

namespace {

void check_finite_positive(const char* who, const char* option, double v) {
  if (!(std::isfinite(v) && v > 0)) throw ValueError(fmt::format("{}: {} = {} must be finite and > 0", who, option, v));
}

void check_finite_nonnegative(const char* who, const char* option, double v) {
  if (!(std::isfinite(v) && v >= 0))
    throw ValueError(fmt::format("{}: {} = {} must be finite and >= 0", who, option, v));
}

void check_count(const char* who, const char* option, std::int64_t v, std::int64_t lo) {
  if (v < lo) throw ValueError(fmt::format("{}: {} = {} must be >= {}", who, option, v, lo));
}

// NOTE [ Counters at the int64 limit ]
// load_state accepts any count >= 0, so a state can hold last_epoch (or num_bad_epochs) =
// INT64_MAX; one more step would overflow a signed integer (undefined behaviour). step() refuses
// that step with a ValueError before anything changes, instead of wrapping around.
void check_can_advance(const char* who, const char* counter, std::int64_t v) {
  if (v == std::numeric_limits<std::int64_t>::max())
    throw ValueError(
        fmt::format("{}: step: {} = {} is at the int64 limit and cannot advance further", who, counter, v));
}

}  // namespace

// ---------------------------------------------------------------------------------- base

Scheduler::Scheduler(Optimizer& opt, const char* name) : opt_(&opt), name_(name) {
  state_.base_lr = opt.lr();
  state_.last_lr = opt.lr();
}

Scheduler::~Scheduler() = default;

void Scheduler::load_state(const SchedulerState& s) {
  auto bad = [&](const char* field, double v, const char* need) {
    throw ValueError(fmt::format("{}: cannot load a state with {} = {} ({})", name_, field, v, need));
  };
  if (s.last_epoch < 0) bad("last_epoch", static_cast<double>(s.last_epoch), "must be >= 0");
  if (s.num_bad_epochs < 0) bad("num_bad_epochs", static_cast<double>(s.num_bad_epochs), "must be >= 0");
  if (s.cooldown_counter < 0) bad("cooldown_counter", static_cast<double>(s.cooldown_counter), "must be >= 0");
  if (!(s.base_lr >= 0)) bad("base_lr", s.base_lr, "must be >= 0");
  if (!(s.last_lr >= 0)) bad("last_lr", s.last_lr, "must be >= 0");
  if (std::isnan(s.best)) bad("best", s.best, "must not be NaN");
  state_ = s;
}

void LRScheduler::step() {
  check_can_advance(name_, "last_epoch", state_.last_epoch);  // next_lr reads last_epoch + 1
  const double lr = next_lr(opt_->lr());
  opt_->set_lr(lr);  // validates first: a bad value leaves the schedule as it was
  ++state_.last_epoch;
  state_.last_lr = lr;
}

// ---------------------------------------------------------------------------------- StepLR

StepLR::StepLR(Optimizer& opt, std::int64_t step_size, double gamma)
    : LRScheduler(opt, "StepLR"), step_size_(step_size), gamma_(gamma) {
  check_count("StepLR", "step_size", step_size, 1);
  check_finite_positive("StepLR", "gamma", gamma);
}

// PyTorch: lr unchanged unless last_epoch is a positive multiple of step_size, then lr·gamma.
double StepLR::next_lr(double current) const {
  const std::int64_t t = state_.last_epoch + 1;
  return (t == 0 || t % step_size_ != 0) ? current : current * gamma_;
}

// ---------------------------------------------------------------------------------- ExponentialLR

ExponentialLR::ExponentialLR(Optimizer& opt, double gamma) : LRScheduler(opt, "ExponentialLR"), gamma_(gamma) {
  check_finite_positive("ExponentialLR", "gamma", gamma);
}

double ExponentialLR::next_lr(double current) const { return current * gamma_; }

// ---------------------------------------------------------------------------------- CosineAnnealingLR

CosineAnnealingLR::CosineAnnealingLR(Optimizer& opt, std::int64_t T_max, double eta_min)
    : LRScheduler(opt, "CosineAnnealingLR"), t_max_(T_max), eta_min_(eta_min) {
  check_count("CosineAnnealingLR", "T_max", T_max, 1);
  check_finite_nonnegative("CosineAnnealingLR", "eta_min", eta_min);
}

double CosineAnnealingLR::next_lr(double) const {
  const double t = static_cast<double>(state_.last_epoch + 1);
  const double base = state_.base_lr;
  return eta_min_ + (base - eta_min_) * (1 + std::cos(std::numbers::pi * t / static_cast<double>(t_max_))) / 2;
}

// ---------------------------------------------------------------------------------- ReduceLROnPlateau

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& opt, Options o) : Scheduler(opt, "ReduceLROnPlateau"), options_(o) {
  const char* who = "ReduceLROnPlateau";
  if (!(std::isfinite(o.factor) && o.factor >= 0 && o.factor < 1))
    throw ValueError(fmt::format("{}: factor = {} must be in [0, 1)", who, o.factor));
  check_count(who, "patience", o.patience, 0);
  check_finite_nonnegative(who, "threshold", o.threshold);
  check_count(who, "cooldown", o.cooldown, 0);
  check_finite_nonnegative(who, "min_lr", o.min_lr);
  check_finite_nonnegative(who, "eps", o.eps);
  if (o.mode != Options::Mode::Min && o.mode != Options::Mode::Max)
    throw ValueError(fmt::format("{}: unknown mode {}", who, static_cast<int>(o.mode)));
  if (o.threshold_mode != Options::ThresholdMode::Rel && o.threshold_mode != Options::ThresholdMode::Abs)
    throw ValueError(fmt::format("{}: unknown threshold_mode {}", who, static_cast<int>(o.threshold_mode)));
  constexpr double inf = std::numeric_limits<double>::infinity();
  state_.best = o.mode == Options::Mode::Min ? inf : -inf;
}

bool ReduceLROnPlateau::is_better(double a, double best) const {
  const auto& o = options_;
  const bool rel = o.threshold_mode == Options::ThresholdMode::Rel;
  if (o.mode == Options::Mode::Min) return rel ? a < best * (1 - o.threshold) : a < best - o.threshold;
  return rel ? a > best * (o.threshold + 1) : a > best + o.threshold;
}

void ReduceLROnPlateau::step(double metric) {
  SchedulerState s = state_;
  check_can_advance(name_, "last_epoch", s.last_epoch);
  s.last_epoch += 1;
  if (is_better(metric, s.best)) {
    s.best = metric;
    s.num_bad_epochs = 0;
  } else {
    check_can_advance(name_, "num_bad_epochs", s.num_bad_epochs);
    s.num_bad_epochs += 1;
  }
  if (s.cooldown_counter > 0) {
    s.cooldown_counter -= 1;
    s.num_bad_epochs = 0;
  }
  if (s.num_bad_epochs > options_.patience) {
    const double old_lr = opt_->lr();
    const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
    if (old_lr - new_lr > options_.eps) opt_->set_lr(new_lr);
    s.cooldown_counter = options_.cooldown;
    s.num_bad_epochs = 0;
  }
  s.last_lr = opt_->lr();
  state_ = s;
}

}  // namespace xg::optim
