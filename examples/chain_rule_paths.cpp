// chain_rule_paths — when one value feeds two others, its gradient is the SUM over the paths.
// The course's two-path network: one input, a hidden neuron O11 that feeds two neurons O21
// and O22, both feeding the output O31 (all sigmoids):
//
//   O11 = σ(w1·x + b1)
//   O21 = σ(w2·O11 + b2)          O22 = σ(w3·O11 + b3)
//   O31 = σ(w4·O21 + w5·O22 + b4)
//   E   = ½ (T − O31)²
//
//            ┌── w2 ── O21 ── w4 ──┐
//   x ─ w1 ─ O11                   O31 ── E
//            └── w3 ── O22 ── w5 ──┘
//
// Numbers (chosen in the course's style, the first layer the same as in backprop_by_hand):
// x = 0.1, T = 0.25; w1 = 0.15, b1 = 0.40; w2 = 0.45, b2 = 0.65; w3 = 0.30, b3 = 0.55;
// w4 = 0.60, w5 = 0.35, b4 = 0.20.
//
// w1 reaches E along two paths, so the multivariable chain rule adds their products:
//
//   dE/dw1 =   dE/dO31 · dO31/dO21 · dO21/dO11 · dO11/dw1        (via O21)
//            + dE/dO31 · dO31/dO22 · dO22/dO11 · dO11/dw1        (via O22)
//
// with dE/dO31 = −(T − O31), dO31/dO21 = O31(1 − O31)·w4, dO31/dO22 = O31(1 − O31)·w5,
// dO21/dO11 = O21(1 − O21)·w2, dO22/dO11 = O22(1 − O22)·w3, dO11/dw1 = O11(1 − O11)·x.
// The program prints each path's factors and product, their sum, and xgrad's gradient: the
// engine gets the same sum because backward() accumulates the gradient arriving at O11 from
// its two users before passing it on. The remaining parameters each have one path; they are
// checked too. The graph is exported with xg::to_dot (parameters and neurons named, gradients
// shown) to chain_rule_paths.dot: there O11's sigmoid is a single box with two out-edges.
//
// Outputs: chain_rule_paths.dot (and .png when Graphviz's `dot` is installed),
// chain_rule_paths.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

constexpr double kX = 0.1, kTarget = 0.25;

struct Weights {
  double w1, b1, w2, b2, w3, b3, w4, w5, b4;
};
constexpr Weights kStart{.w1 = 0.15, .b1 = 0.40, .w2 = 0.45, .b2 = 0.65, .w3 = 0.30, .b3 = 0.55,
                         .w4 = 0.60, .w5 = 0.35, .b4 = 0.20};

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

/// One path from E back to a parameter: its factors (name, value) and their product.
struct Path {
  std::string via;
  std::vector<std::pair<std::string, double>> factors;
  double product() const {
    double p = 1;
    for (const auto& f : factors) p *= f.second;
    return p;
  }
};

void print_path(const Path& path) {
  std::printf("  via %s:\n", path.via.c_str());
  for (const auto& [name, value] : path.factors) std::printf("    %-12s = %12.8f\n", name.c_str(), value);
  std::printf("    %-12s = %12.4e\n", "product", path.product());
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("chain_rule_paths", argc, argv);
  const Weights& w = kStart;

  // ---- forward, by hand
  const double O11 = sigmoid(w.w1 * kX + w.b1);
  const double O21 = sigmoid(w.w2 * O11 + w.b2);
  const double O22 = sigmoid(w.w3 * O11 + w.b3);
  const double O31 = sigmoid(w.w4 * O21 + w.w5 * O22 + w.b4);
  const double E = 0.5 * (kTarget - O31) * (kTarget - O31);
  std::printf("Two paths from w1 to the error: x = %.2f, T = %.2f\n", kX, kTarget);
  std::printf("  O11 = sigma(w1*x + b1)              = %.8f\n", O11);
  std::printf("  O21 = sigma(w2*O11 + b2)            = %.8f\n", O21);
  std::printf("  O22 = sigma(w3*O11 + b3)            = %.8f\n", O22);
  std::printf("  O31 = sigma(w4*O21 + w5*O22 + b4)   = %.8f\n", O31);
  std::printf("  E   = 1/2 (T - O31)^2               = %.8f\n\n", E);

  // ---- local derivatives (σ' = σ(1 − σ)), then the two paths to w1 and to b1
  const double dE_dO31 = -(kTarget - O31);
  const double s31 = O31 * (1 - O31), s21 = O21 * (1 - O21), s22 = O22 * (1 - O22), s11 = O11 * (1 - O11);
  const double dO31_dO21 = s31 * w.w4, dO31_dO22 = s31 * w.w5;
  const double dO21_dO11 = s21 * w.w2, dO22_dO11 = s22 * w.w3;
  const double dO11_dw1 = s11 * kX, dO11_db1 = s11;

  const Path via_O21{"O21", {{"dE/dO31", dE_dO31}, {"dO31/dO21", dO31_dO21}, {"dO21/dO11", dO21_dO11}, {"dO11/dw1", dO11_dw1}}};
  const Path via_O22{"O22", {{"dE/dO31", dE_dO31}, {"dO31/dO22", dO31_dO22}, {"dO22/dO11", dO22_dO11}, {"dO11/dw1", dO11_dw1}}};
  std::printf("dE/dw1, path by path (each factor a local derivative)\n");
  print_path(via_O21);
  print_path(via_O22);
  const double path_sum_w1 = via_O21.product() + via_O22.product();
  // b1: the same two paths, ending in dO11/db1 = O11(1 − O11) instead of O11(1 − O11)·x
  const double b1_via_O21 = dE_dO31 * dO31_dO21 * dO21_dO11 * dO11_db1;
  const double b1_via_O22 = dE_dO31 * dO31_dO22 * dO22_dO11 * dO11_db1;

  // ---- the engine on the same graph
  auto param = [](double v) { return xg::tensor(v, xg::kFloat64).requires_grad_(); };
  auto w1 = param(w.w1), b1 = param(w.b1), w2 = param(w.w2), b2 = param(w.b2), w3 = param(w.w3), b3 = param(w.b3),
       w4 = param(w.w4), w5 = param(w.w5), b4 = param(w.b4);
  const auto x = xg::tensor(kX, xg::kFloat64);
  const auto o11 = xg::sigmoid(w1 * x + b1);
  const auto o21 = xg::sigmoid(w2 * o11 + b2);
  const auto o22 = xg::sigmoid(w3 * o11 + b3);
  const auto o31 = xg::sigmoid(w4 * o21 + w5 * o22 + b4);
  const auto error = 0.5 * xg::pow(kTarget - o31, 2);
  error.backward();

  std::printf("\n%-22s %18s %18s %10s\n", "", "paths by hand", "engine", "|diff|");
  auto row = [](const char* what, double hand, std::optional<double> engine) {
    if (engine)
      std::printf("%-22s %18.12e %18.12e %10.2g\n", what, hand, *engine, std::abs(hand - *engine));
    else
      std::printf("%-22s %18.12e\n", what, hand);
  };
  row("dE/dw1 via O21", via_O21.product(), std::nullopt);
  row("dE/dw1 via O22", via_O22.product(), std::nullopt);
  row("dE/dw1 = sum", path_sum_w1, w1.grad().item());
  row("dE/db1 = sum", b1_via_O21 + b1_via_O22, b1.grad().item());
  std::printf("(the path via O21 carries %.1f%% of dE/dw1)\n\n", 100.0 * via_O21.product() / path_sum_w1);

  // The single-path parameters, for completeness.
  const std::vector<std::tuple<const char*, double, xg::Tensor>> single = {
      {"dE/dw2 (via O21)", dE_dO31 * dO31_dO21 * s21 * O11, w2}, {"dE/db2 (via O21)", dE_dO31 * dO31_dO21 * s21, b2},
      {"dE/dw3 (via O22)", dE_dO31 * dO31_dO22 * s22 * O11, w3}, {"dE/db3 (via O22)", dE_dO31 * dO31_dO22 * s22, b3},
      {"dE/dw4", dE_dO31 * s31 * O21, w4},                      {"dE/dw5", dE_dO31 * s31 * O22, w5},
      {"dE/db4", dE_dO31 * s31, b4}};
  double max_diff = std::max(std::abs(path_sum_w1 - w1.grad().item()),
                             std::abs(b1_via_O21 + b1_via_O22 - b1.grad().item()));
  for (const auto& [what, hand, t] : single) {
    row(what, hand, t.grad().item());
    max_diff = std::max(max_diff, std::abs(hand - t.grad().item()));
  }

  // ---- the graph, with names
  const std::string dot = xg::to_dot(error, {.names = {{"w1", w1}, {"b1", b1}, {"w2", w2}, {"b2", b2}, {"w3", w3},
                                                        {"b3", b3}, {"w4", w4}, {"w5", w5}, {"b4", b4}, {"O11", o11},
                                                        {"O21", o21}, {"O22", o22}, {"O31", o31}, {"E", error}},
                                              .show_grad_values = true});
  const auto dot_path = run.out_path("chain_rule_paths.dot");
  std::ofstream(dot_path) << dot;
  std::printf("\nwrote %s\n", dot_path.string().c_str());
  bool rendered = false;
  if (xg::examples::have_program("dot")) {
    const auto png_path = run.out_path("chain_rule_paths.png");
    const std::string cmd = "dot -Tpng " + quoted(dot_path.string()) + " -o " + quoted(png_path.string());
    rendered = std::system(cmd.c_str()) == 0;
    if (rendered) run.report(png_path);
  } else {
    std::printf("(Graphviz `dot` is not installed: render later with dot -Tpng chain_rule_paths.dot -o chain_rule_paths.png)\n");
  }

  run.summary("path_via_O21", via_O21.product());
  run.summary("path_via_O22", via_O22.product());
  run.summary("path_sum_dE_dw1", path_sum_w1);
  run.summary("engine_dE_dw1", w1.grad().item());
  run.summary("path_sum_dE_db1", b1_via_O21 + b1_via_O22);
  run.summary("engine_dE_db1", b1.grad().item());
  run.summary("max_abs_diff_hand_engine", max_diff);
  run.summary("error", error.item());
  run.summary("png_rendered", rendered ? 1.0 : 0.0);
  return 0;
}
