#pragma once
// Checking analytic gradients against central finite differences, in float64.
#include <functional>
#include <string>
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg {

/// Finite-difference step and tolerances: eps finite and > 0, atol and rtol finite and ≥ 0
/// (ValueError naming the option otherwise).
struct GradcheckOptions {
  double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
};

struct GradcheckResult {
  bool ok;
  double max_abs_error;
  double max_rel_error;
  std::string report;  // the worst input and element: analytic vs numeric
};

/// Compares d f(inputs) / d inputs from the engine with (f(x + eps) − f(x − eps)) / 2eps, element
/// by element. Inputs are copied to float64 first (the caller's tensors are untouched). The
/// inputs checked are those with requires_grad set, or all of them when none is. An element
/// passes when |analytic − numeric| ≤ atol + rtol·|numeric|. The full Jacobian is compared for
/// outputs of up to 256 elements; larger outputs are projected on a fixed random vector.
GradcheckResult gradcheck(std::function<Tensor(const std::vector<Tensor>&)> f,
                          std::vector<Tensor> inputs, GradcheckOptions options = {});

/// Second derivatives: gradchecks the map (inputs, v) ↦ ∂⟨f(inputs), v⟩/∂inputs, whose
/// gradient runs through the backward pass recorded with create_graph.
GradcheckResult gradgradcheck(std::function<Tensor(const std::vector<Tensor>&)> f,
                              std::vector<Tensor> inputs, GradcheckOptions options = {});

}  // namespace xg
