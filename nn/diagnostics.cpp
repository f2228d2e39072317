// GradientMonitor: gradient-flow statistics read straight from the parameters' buffers.
#include <algorithm>
#include <cmath>
#include <memory>
#include <ostream>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "nn/activation.hpp"
#include "nn/diagnostics.hpp"
#include "nn/module_walk.hpp"

namespace xg::nn {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Calls f(value as double) for every element of a float32 or float64 tensor.
template <class F>
void for_each_value(const Tensor& t, F&& f) {
  const std::size_t n = t.numel();
  if (t.dtype() == kFloat32) {
    const float* p = t.data_ptr<float>();
    for (std::size_t i = 0; i < n; ++i) f(static_cast<double>(p[i]));
  } else {
    const double* p = t.data_ptr<double>();
    for (std::size_t i = 0; i < n; ++i) f(p[i]);
  }
}

double norm(const Tensor& t) {
  double sum = 0;
  for_each_value(t, [&](double v) { sum += v * v; });
  return std::sqrt(sum);
}

std::vector<double> copy_values(const Tensor& t) {
  std::vector<double> out;
  out.reserve(t.numel());
  for_each_value(t, [&](double v) { out.push_back(v); });
  return out;
}

enum class ActivationKind { ReLULike, Sigmoid, Tanh, ELU };

ActivationKind parse_kind(const std::string& kind) {
  if (kind == "relu" || kind == "leaky_relu" || kind == "prelu") return ActivationKind::ReLULike;
  if (kind == "sigmoid") return ActivationKind::Sigmoid;
  if (kind == "tanh") return ActivationKind::Tanh;
  if (kind == "elu") return ActivationKind::ELU;
  throw ValueError(fmt::format(
      "GradientMonitor::record_activation: unknown activation kind '{}' (relu, leaky_relu, prelu, sigmoid, tanh, "
      "elu)",
      kind));
}

// The activation kind of a module, if it is one the monitor understands.
bool activation_kind_of(const Module& m, ActivationKind& kind) {
  if (dynamic_cast<const ReLU*>(&m) || dynamic_cast<const LeakyReLU*>(&m) || dynamic_cast<const PReLU*>(&m)) {
    kind = ActivationKind::ReLULike;
  } else if (dynamic_cast<const Sigmoid*>(&m)) {
    kind = ActivationKind::Sigmoid;
  } else if (dynamic_cast<const Tanh*>(&m)) {
    kind = ActivationKind::Tanh;
  } else if (dynamic_cast<const ELU*>(&m)) {
    kind = ActivationKind::ELU;
  } else {
    return false;
  }
  return true;
}

std::string format_number(double v) { return std::isnan(v) ? "-" : fmt::format("{:.2e}", v); }
std::string format_percent(double v) { return std::isnan(v) ? "-" : fmt::format("{:.1f}%", 100 * v); }
std::string csv_number(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

std::string flags_of(const LayerStats& l) {
  std::string f;
  if (l.vanishing) f += "vanishing";
  if (l.exploding) f += f.empty() ? "exploding" : " exploding";
  return f;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

// The statistics of an activation's last forward pass, written by its hook.
struct GradientMonitor::ActivationSlot {
  ActivationKind kind = ActivationKind::ReLULike;
  bool seen = false;
  double dead_fraction = kNaN, saturated_fraction = kNaN, mean_abs = kNaN;

  void record(const Tensor& output, double margin) {
    if (!output.defined() || output.numel() == 0) return;
    seen = true;
    const std::size_t n = output.numel();
    const std::size_t batch = output.dim() >= 2 ? output.shape()[0] : 1;
    const std::size_t features = n / batch;
    double abs_sum = 0;
    std::size_t saturated = 0;
    std::vector<char> alive(kind == ActivationKind::ReLULike ? features : 0, 0);
    std::size_t i = 0;
    for_each_value(output, [&](double v) {
      abs_sum += std::abs(v);
      switch (kind) {
        case ActivationKind::ReLULike:
          if (v > 0) alive[i % features] = 1;
          break;
        case ActivationKind::Sigmoid:
          if (v < margin || v > 1 - margin) ++saturated;
          break;
        case ActivationKind::Tanh:
          if (std::abs(v) > 1 - 2 * margin) ++saturated;
          break;
        case ActivationKind::ELU:
          break;
      }
      ++i;
    });
    mean_abs = abs_sum / static_cast<double>(n);
    dead_fraction = kNaN;
    saturated_fraction = kNaN;
    if (kind == ActivationKind::ReLULike) {
      const auto alive_count = static_cast<std::size_t>(std::count(alive.begin(), alive.end(), 1));
      dead_fraction = static_cast<double>(features - alive_count) / static_cast<double>(features);
    } else if (kind == ActivationKind::Sigmoid || kind == ActivationKind::Tanh) {
      saturated_fraction = static_cast<double>(saturated) / static_cast<double>(n);
    }
  }
};

// One row the monitor watches: a module with parameters of its own, or an activation.
struct GradientMonitor::Watched {
  std::string name, kind;
  std::vector<std::pair<std::string, Tensor>> parameters;  // full dotted names
  std::shared_ptr<ActivationSlot> activation;              // null for a parameter-only layer
};

GradientMonitor::GradientMonitor(Module& model, GradientMonitorOptions options) : options_(options) {
  if (!(options_.shrink_factor > 1))
    throw ValueError(fmt::format("GradientMonitor: shrink_factor must be > 1, got {}", options_.shrink_factor));
  if (!(options_.saturation_margin > 0 && options_.saturation_margin < 0.5))
    throw ValueError(
        fmt::format("GradientMonitor: saturation_margin must be in (0, 0.5), got {}", options_.saturation_margin));
  if (!(options_.vanishing_relative >= 0) || !(options_.exploding_relative > options_.vanishing_relative))
    throw ValueError(fmt::format("GradientMonitor: need 0 <= vanishing_relative < exploding_relative, got {} and {}",
                                 options_.vanishing_relative, options_.exploding_relative));
  collect_layers(model, "");
}

GradientMonitor::~GradientMonitor() {
  for (auto& h : hooks_) h.remove();
}

// Every module under `root` in pre-order, iteratively (NOTE [ Iterative module walks ]).
void GradientMonitor::collect_layers(Module& root, const std::string& root_path) {
  detail::walk_modules(root, [&](Module& module, const std::string& sub) {
    std::string joined;  // only under a non-empty root path: no copy per module otherwise
    const std::string& path =
        root_path.empty() ? sub : (joined = sub.empty() ? root_path : root_path + "." + sub);
    Watched row;
    for (auto& [name, tensor] : module.named_parameters(/*recurse=*/false))
      row.parameters.emplace_back(path.empty() ? name : path + "." + name, tensor);
    ActivationKind kind{};
    if (activation_kind_of(module, kind)) {
      auto slot = std::make_shared<ActivationSlot>();
      slot->kind = kind;
      const double margin = options_.saturation_margin;
      hooks_.push_back(module.register_forward_hook(
          [slot, margin](Module&, const Tensor&, const Tensor& output) { slot->record(output, margin); }));
      row.activation = std::move(slot);
    }
    if (!row.parameters.empty() || row.activation) {
      row.name = path;
      row.kind = module.repr();
      watched_.push_back(std::move(row));
    }
  });
}

void GradientMonitor::record_activation(const std::string& name, const std::string& kind, const Tensor& output) {
  const ActivationKind k = parse_kind(kind);
  for (auto& w : watched_) {
    if (w.name == name && w.activation && w.parameters.empty()) {
      w.activation->kind = k;
      w.activation->record(output, options_.saturation_margin);
      return;
    }
  }
  Watched row;
  row.name = name;
  row.kind = kind;
  row.activation = std::make_shared<ActivationSlot>();
  row.activation->kind = k;
  row.activation->record(output, options_.saturation_margin);
  watched_.push_back(std::move(row));
}

GradientReport GradientMonitor::check() {
  GradientReport report;
  report.step = reports_++;
  weights_before_.clear();
  for (const auto& w : watched_) {
    LayerStats layer;
    layer.name = w.name;
    layer.kind = w.kind;
    layer.has_parameters = !w.parameters.empty();
    double weight_sq = 0, grad_sq = 0;
    bool has_grad = false;
    for (const auto& [name, p] : w.parameters) {
      ParameterStats ps;
      ps.name = name;
      ps.shape = p.shape();
      ps.weight_norm = norm(p);
      const Tensor& g = p.grad();
      ps.has_grad = g.defined();
      ps.grad_norm = ps.has_grad ? norm(g) : 0.0;
      ps.grad_to_weight = ps.has_grad && ps.weight_norm > 0 ? ps.grad_norm / ps.weight_norm : kNaN;
      weight_sq += ps.weight_norm * ps.weight_norm;
      grad_sq += ps.grad_norm * ps.grad_norm;
      has_grad = has_grad || ps.has_grad;
      report.parameters.push_back(ps);
      weights_before_.push_back(copy_values(p));
    }
    if (layer.has_parameters) {
      layer.weight_norm = std::sqrt(weight_sq);
      layer.has_grad = has_grad;
      layer.grad_norm = has_grad ? std::sqrt(grad_sq) : kNaN;
      layer.grad_to_weight = has_grad && layer.weight_norm > 0 ? layer.grad_norm / layer.weight_norm : kNaN;
    }
    if (w.activation && w.activation->seen) {
      layer.is_activation = true;
      layer.dead_fraction = w.activation->dead_fraction;
      layer.saturated_fraction = w.activation->saturated_fraction;
      layer.mean_abs_activation = w.activation->mean_abs;
    } else if (w.activation) {
      layer.is_activation = true;
    }
    report.layers.push_back(layer);
  }

  // Flags: per-layer ratios, then the mean shrink (growth) per layer from the last layer back.
  std::vector<LayerStats*> with_grad;
  for (auto& l : report.layers)
    if (l.has_grad) with_grad.push_back(&l);
  for (auto* l : with_grad) {
    if (!std::isfinite(l->grad_norm)) l->exploding = true;
    if (std::isfinite(l->grad_to_weight)) {
      if (l->grad_to_weight < options_.vanishing_relative) l->vanishing = true;
      if (l->grad_to_weight > options_.exploding_relative) l->exploding = true;
    }
  }
  if (!with_grad.empty()) {
    const double last = with_grad.back()->grad_norm;
    const std::size_t n = with_grad.size();
    for (std::size_t i = 0; i < n; ++i) {
      LayerStats& l = *with_grad[i];
      l.grad_to_last = last > 0 ? l.grad_norm / last : kNaN;
      const double distance = static_cast<double>(n - 1 - i);
      if (distance == 0 || !std::isfinite(l.grad_to_last)) continue;
      if (l.grad_to_last == 0) {
        l.vanishing = true;
        continue;
      }
      const double per_layer = std::pow(l.grad_to_last, 1.0 / distance);
      if (per_layer < 1 / options_.shrink_factor) l.vanishing = true;
      if (per_layer > options_.shrink_factor) l.exploding = true;
    }
    if (n >= 2 && last > 0) report.first_to_last = with_grad.front()->grad_norm / last;
  }
  for (const auto& l : report.layers) {
    report.any_vanishing = report.any_vanishing || l.vanishing;
    report.any_exploding = report.any_exploding || l.exploding;
  }
  return report;
}

void GradientMonitor::measure_update(GradientReport& report) {
  if (report.step + 1 != reports_ || report.parameters.size() != weights_before_.size())
    throw ValueError(fmt::format("GradientMonitor::measure_update: report {} is not the last check() (that was {})",
                                 report.step, reports_ == 0 ? std::string("none") : std::to_string(reports_ - 1)));
  std::size_t k = 0;
  std::size_t layer_index = 0;
  for (const auto& w : watched_) {
    if (layer_index == report.layers.size()) break;  // rows added by record_activation since
    LayerStats& layer = report.layers[layer_index++];
    double delta_sq_layer = 0, before_sq_layer = 0;
    for (const auto& [name, p] : w.parameters) {
      const std::vector<double>& before = weights_before_[k];
      ParameterStats& ps = report.parameters[k];
      ++k;
      if (before.size() != p.numel())
        throw ValueError(fmt::format("GradientMonitor::measure_update: parameter '{}' changed size", name));
      double delta_sq = 0, before_sq = 0;
      std::size_t i = 0;
      for_each_value(p, [&](double v) {
        const double d = v - before[i];
        delta_sq += d * d;
        before_sq += before[i] * before[i];
        ++i;
      });
      ps.update_to_weight = before_sq > 0 ? std::sqrt(delta_sq / before_sq) : kNaN;
      delta_sq_layer += delta_sq;
      before_sq_layer += before_sq;
    }
    if (!w.parameters.empty() && before_sq_layer > 0) layer.update_to_weight = std::sqrt(delta_sq_layer / before_sq_layer);
  }
  weights_before_.clear();
}

std::vector<LayerStats> GradientReport::parameter_layers() const {
  std::vector<LayerStats> out;
  for (const auto& l : layers)
    if (l.has_parameters) out.push_back(l);
  return out;
}

std::string GradientReport::to_table() const {
  std::size_t name_w = 5, kind_w = 4;
  auto short_kind = [](const std::string& k) { return k.size() > 36 ? k.substr(0, 35) + "…" : k; };
  for (const auto& l : layers) {
    name_w = std::max(name_w, l.name.empty() ? std::size_t{6} : l.name.size());
    kind_w = std::max(kind_w, std::min<std::size_t>(l.kind.size(), 36));
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>9}  {:>11}  {:>11}  {:>13}  {:>12}  {:>6}  {:>9}  {}\n", "layer",
                                name_w, "kind", kind_w, "grad norm", "weight norm", "grad/weight", "update/weight",
                                "grad/last", "dead", "saturated", "flags");
  for (const auto& l : layers) {
    out += fmt::format("{:<{}}  {:<{}}  {:>9}  {:>11}  {:>11}  {:>13}  {:>12}  {:>6}  {:>9}  {}\n",
                       l.name.empty() ? "(root)" : l.name, name_w, short_kind(l.kind), kind_w,
                       l.has_parameters ? format_number(l.grad_norm) : "-",
                       l.has_parameters ? format_number(l.weight_norm) : "-", format_number(l.grad_to_weight),
                       format_number(l.update_to_weight), format_number(l.grad_to_last),
                       format_percent(l.dead_fraction), format_percent(l.saturated_fraction), flags_of(l));
  }
  if (!std::isnan(first_to_last))
    out += fmt::format("first/last layer gradient norm: {:.3g}{}\n", first_to_last,
                       any_vanishing   ? "  (vanishing gradients flagged)"
                       : any_exploding ? "  (exploding gradients flagged)"
                                       : "");
  return out;
}

std::string GradientReport::to_csv(bool header) const {
  std::string out;
  if (header)
    out +=
        "step,level,name,kind,grad_norm,weight_norm,grad_to_weight,update_to_weight,grad_to_last,dead_fraction,"
        "saturated_fraction,flags\n";
  std::size_t k = 0;
  for (const auto& l : layers) {
    out += fmt::format("{},layer,{},{},{},{},{},{},{},{},{},{}\n", step, csv_field(l.name), csv_field(l.kind),
                       l.has_parameters ? csv_number(l.grad_norm) : "",
                       l.has_parameters ? csv_number(l.weight_norm) : "", csv_number(l.grad_to_weight),
                       csv_number(l.update_to_weight), csv_number(l.grad_to_last), csv_number(l.dead_fraction),
                       csv_number(l.saturated_fraction), flags_of(l));
  }
  for (; k < parameters.size(); ++k) {
    const auto& p = parameters[k];
    out += fmt::format("{},parameter,{},,{},{},{},{},,,,\n", step, csv_field(p.name),
                       p.has_grad ? csv_number(p.grad_norm) : "", csv_number(p.weight_norm),
                       csv_number(p.grad_to_weight), csv_number(p.update_to_weight));
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const GradientReport& r) { return os << r.to_table(); }

}  // namespace xg::nn
