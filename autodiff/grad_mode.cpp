// Grad mode and anomaly mode: per-thread flags with RAII guards.
#include "autodiff/anomaly.hpp"
#include "autodiff/grad_mode.hpp"

namespace xg {

namespace {
thread_local bool t_grad_enabled = true;
thread_local bool t_anomaly_enabled = false;
}  // namespace

bool is_grad_enabled() { return t_grad_enabled; }
void set_grad_enabled(bool on) { t_grad_enabled = on; }

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

GradModeGuard::GradModeGuard(bool on) : previous_(t_grad_enabled) { t_grad_enabled = on; }
GradModeGuard::~GradModeGuard() { t_grad_enabled = previous_; }

bool is_anomaly_enabled() { return t_anomaly_enabled; }
DetectAnomalyGuard::DetectAnomalyGuard() : previous_(t_anomaly_enabled) { t_anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { t_anomaly_enabled = previous_; }

}  // namespace xg
