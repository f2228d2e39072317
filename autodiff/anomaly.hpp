#pragma once
// Anomaly detection (like torch.autograd.detect_anomaly).

namespace xg {

/// RAII, per thread: while active, a NaN or Inf in any op's forward output or in any gradient
/// the backward pass computes throws ValueError naming the forward op that produced it.
class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

bool is_anomaly_enabled();

}  // namespace xg
