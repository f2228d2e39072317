#pragma once
// Grad mode (per thread): whether ops record a graph.

namespace xg {

/// True unless a NoGradGuard is active on this thread.
bool is_grad_enabled();
/// Sets grad mode on this thread; prefer the guards.
void set_grad_enabled(bool on);

/// RAII: ops inside record no graph (like torch::NoGradGuard). Per thread; nests.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// RAII: sets grad mode to `on` for the scope (the engine uses it for create_graph).
class GradModeGuard {
 public:
  explicit GradModeGuard(bool on);
  ~GradModeGuard();
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace xg
