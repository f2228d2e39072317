#pragma once
// xg::nn::GradientMonitor — gradient-flow diagnostics for a model: per parameter and per layer,
// after backward(), the gradient norm, weight norm, their ratio, the update-to-weight ratio of
// the optimizer step, and for activation layers the fraction of dead ReLU units and of saturated
// sigmoid/tanh units in the last forward pass; vanishing and exploding gradients are flagged.
//
//   xg::nn::GradientMonitor monitor(model);      // hooks the activation modules
//   for (...) {
//     opt.zero_grad();
//     auto loss = loss_fn(model(x), y);
//     loss.backward();
//     if (step % 100 == 0) {
//       auto report = monitor.step(opt);         // check(), opt.step(), update ratios
//       std::cout << report.to_table();
//     } else {
//       opt.step();
//     }
//   }
//
// Definitions (‖·‖ is the Euclidean norm over all elements):
//   grad/weight    ‖∂L/∂w‖ / ‖w‖            — how large a step the gradient asks for
//   update/weight  ‖w_after − w_before‖ / ‖w_before‖ for one optimizer step (≈ 1e-3 is healthy)
//   dead unit      a ReLU / LeakyReLU / PReLU feature (an element of the output past the batch
//                  dimension) whose input is ≤ 0 for every sample of the batch: it passes no
//                  gradient (ReLU) or only a leak
//   saturated      a sigmoid output within `saturation_margin` of 0 or 1, a tanh output within
//                  2·margin of ±1: there σ'(z) = σ(1 − σ) < margin, far below its maximum 0.25
//   vanishing      a layer whose grad/weight is below `vanishing_relative`, or whose gradient
//                  norm shrank by more than `shrink_factor` per layer on average from the last
//                  layer (the output side) back to it: (‖g_last‖ / ‖g_layer‖)^(1/d) > factor, d the
//                  number of layers between them
//   exploding      grad/weight above `exploding_relative`, a non-finite gradient, or a gradient
//                  that grew by more than shrink_factor per layer on average from the last layer
//
// Layers are the modules that own parameters directly (Linear, BatchNorm1d, PReLU, user
// modules) in registration order, which is the forward order for Sequential; activation rows
// come from the activation modules (ReLU, LeakyReLU, PReLU, ELU, Sigmoid, Tanh). Activations
// applied as functions (xg::relu(x) inside forward) are not seen: use modules, or call
// record_activation yourself.
#include <cmath>
#include <cstddef>
#include <iosfwd>
#include <limits>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn {

/// GradientMonitor thresholds (an aggregate; designated initialisers in this order).
struct GradientMonitorOptions {
  double vanishing_relative = 1e-6;  ///< grad/weight below this → vanishing
  double exploding_relative = 1e2;   ///< grad/weight above this → exploding
  double shrink_factor = 2.0;        ///< mean per-layer shrink (or growth) beyond this → flagged (> 1)
  double saturation_margin = 0.01;   ///< sigmoid within margin of 0/1, tanh within 2·margin of ±1
};

/// Statistics of one parameter tensor.
struct ParameterStats {
  std::string name;  ///< dotted, as named_parameters(): "0.weight"
  std::vector<std::size_t> shape;
  double weight_norm = 0;
  double grad_norm = 0;  ///< 0 when the parameter has no gradient
  bool has_grad = false;
  double grad_to_weight = std::numeric_limits<double>::quiet_NaN();
  double update_to_weight = std::numeric_limits<double>::quiet_NaN();  ///< NaN until a step is measured
};

/// One row of the report: a layer with parameters, or an activation.
struct LayerStats {
  std::string name;  ///< module path: "0", "fc1", "block.2"; "" for the root module
  std::string kind;  ///< the module's repr(): "Linear(in=64, out=128, bias=true)", "Sigmoid()"
  bool has_parameters = false;
  bool has_grad = false;  ///< some parameter of the layer has a gradient
  double weight_norm = 0, grad_norm = 0;  ///< over the layer's own parameters (grad: NaN without one)
  double grad_to_weight = std::numeric_limits<double>::quiet_NaN();
  double update_to_weight = std::numeric_limits<double>::quiet_NaN();
  /// grad_norm of this layer ÷ that of the last layer (parameter layers only).
  double grad_to_last = std::numeric_limits<double>::quiet_NaN();
  bool is_activation = false;
  double dead_fraction = std::numeric_limits<double>::quiet_NaN();       ///< ReLU-like: dead units
  double saturated_fraction = std::numeric_limits<double>::quiet_NaN();  ///< sigmoid/tanh: saturated outputs
  double mean_abs_activation = std::numeric_limits<double>::quiet_NaN();
  bool vanishing = false, exploding = false;
};

/// What GradientMonitor::check() saw.
struct GradientReport {
  std::size_t step = 0;  ///< how many reports the monitor made before this one
  std::vector<ParameterStats> parameters;
  std::vector<LayerStats> layers;  ///< parameter layers and activations, in model order
  bool any_vanishing = false, any_exploding = false;
  /// ‖g‖ of the first parameter layer ÷ ‖g‖ of the last (the vanishing-gradient ratio; NaN with
  /// fewer than two layers with gradients).
  double first_to_last = std::numeric_limits<double>::quiet_NaN();

  /// The parameter layers only (no activation rows).
  std::vector<LayerStats> parameter_layers() const;

  /// A fixed-width table, one row per layer, then a line per flag raised. Example:
  ///   layer  kind               grad norm  weight norm  grad/weight  update/weight  dead  saturated  flags
  ///   0      Linear(in=64, …)   3.1e-04    4.6e+00      6.7e-05      2.1e-04        -     -          vanishing
  std::string to_table() const;
  /// CSV with a header: step,level,name,kind,grad_norm,weight_norm,grad_to_weight,
  /// update_to_weight,grad_to_last,dead_fraction,saturated_fraction,flags — one row per layer
  /// (level "layer") and per parameter (level "parameter"); NaN fields are empty.
  std::string to_csv(bool header = true) const;
};

std::ostream& operator<<(std::ostream&, const GradientReport&);

/// Watches a model's gradient flow. Construction registers forward hooks on the model's
/// activation modules (removed again by the destructor); they keep only a few numbers per
/// forward, so a monitor may stay attached for a whole training run. check() reads the
/// gradients and weights; it costs a pass over the parameters (no graph, no allocation of
/// tensors), so calling it every N steps is cheap.
class GradientMonitor {
 public:
  explicit GradientMonitor(Module& model, GradientMonitorOptions options = {});
  ~GradientMonitor();
  GradientMonitor(const GradientMonitor&) = delete;
  GradientMonitor& operator=(const GradientMonitor&) = delete;

  /// The report after backward(): norms, ratios, activation statistics of the last forward,
  /// flags. Also remembers the weights so that measure_update can compute update ratios.
  GradientReport check();

  /// Fills `report`'s update_to_weight from the change of each parameter since check() made it
  /// (call right after the optimizer step). ValueError if `report` is not the last check().
  void measure_update(GradientReport& report);

  /// check(), optimizer.step(), measure_update(): the usual way to call it every N steps.
  template <class Optimizer>
  GradientReport step(Optimizer& optimizer) {
    GradientReport report = check();
    optimizer.step();
    measure_update(report);
    return report;
  }

  /// Records an activation computed outside an activation module (e.g. xg::relu(x) in a
  /// forward): `kind` is "relu", "leaky_relu", "sigmoid", "tanh" or "elu". It appears as a row
  /// named `name` in the next reports. ValueError for another kind.
  void record_activation(const std::string& name, const std::string& kind, const Tensor& output);

  const GradientMonitorOptions& options() const { return options_; }

 private:
  struct ActivationSlot;
  struct Watched;
  void collect_layers(Module& module, const std::string& path);

  GradientMonitorOptions options_;
  std::vector<Watched> watched_;            // model order: layers with parameters and activations
  std::vector<HookHandle> hooks_;
  std::vector<std::vector<double>> weights_before_;
  std::size_t reports_ = 0;
};

}  // namespace xg::nn
