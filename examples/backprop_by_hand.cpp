// backprop_by_hand — the course's worked example of backpropagation, done on paper and by the
// engine side by side. One input, two sigmoid neurons in a chain:
//
//   z1 = w1·x + b1,   a1 = σ(z1),   z2 = w2·a1 + b2,   a2 = σ(z2),   E = ½ (T − a2)²
//
// with x = 0.1, w1 = 0.15, b1 = 0.4, w2 = 0.45, b2 = 0.65, target T = 0.25, learning rate 0.4.
//
// Backpropagation is the chain rule applied from the error back to each parameter. Every
// factor is a local derivative that the forward pass makes easy to evaluate:
//
//   dE/da2 = −(T − a2)        da2/dz2 = a2 (1 − a2)        (σ' = σ (1 − σ))
//   dz2/dw2 = a1   dz2/db2 = 1   dz2/da1 = w2   da1/dz1 = a1 (1 − a1)   dz1/dw1 = x   dz1/db1 = 1
//
//   dE/dw2 = dE/da2 · da2/dz2 · dz2/dw2
//   dE/db2 = dE/da2 · da2/dz2 · dz2/db2
//   dE/dw1 = dE/da2 · da2/dz2 · dz2/da1 · da1/dz1 · dz1/dw1
//   dE/db1 = dE/da2 · da2/dz2 · dz2/da1 · da1/dz1 · dz1/db1
//
// The first two factors are shared by all four products: that reuse, done systematically from
// the output backwards, is what makes backpropagation cheap. The program prints every factor,
// each product, and what xgrad's backward() computed for the same graph (float64: they agree to
// rounding), then takes one gradient-descent step p ← p − 0.4 · dE/dp on all four parameters
// (w2 goes 0.45 → 0.42717, the course's value) and shows that the error went down.
//
// Outputs: backprop_by_hand.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr double kX = 0.1, kTarget = 0.25, kLearningRate = 0.4;

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

struct Parameters {
  double w1, b1, w2, b2;
};

/// The forward pass in plain doubles, every intermediate kept: what a student writes down.
struct Forward {
  double z1, a1, z2, a2, error;
};

Forward forward_by_hand(const Parameters& p) {
  Forward f{};
  f.z1 = p.w1 * kX + p.b1;
  f.a1 = sigmoid(f.z1);
  f.z2 = p.w2 * f.a1 + p.b2;
  f.a2 = sigmoid(f.z2);
  f.error = 0.5 * (kTarget - f.a2) * (kTarget - f.a2);
  return f;
}

/// One chain-rule product: the names of its factors and their values.
struct ChainProduct {
  std::string parameter;
  std::vector<std::pair<std::string, double>> factors;
  double value() const {
    double v = 1;
    for (const auto& f : factors) v *= f.second;
    return v;
  }
};

void print_product(const ChainProduct& c) {
  std::string names, values;
  for (std::size_t i = 0; i < c.factors.size(); ++i) {
    const char* sep = i ? " * " : "";
    names += sep + c.factors[i].first;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", c.factors[i].second);
    values += sep + std::string(buf);
  }
  std::printf("  dE/d%s = %s\n", c.parameter.c_str(), names.c_str());
  std::printf("  %*s = %s\n", static_cast<int>(c.parameter.size()) + 4, "", values.c_str());
  std::printf("  %*s = %.10f\n\n", static_cast<int>(c.parameter.size()) + 4, "", c.value());
}

/// The same network as xgrad tensors; returns E with the graph recorded.
struct EngineParameters {
  xg::Tensor w1, b1, w2, b2;
};

xg::Tensor engine_error(const EngineParameters& p) {
  const auto x = xg::tensor(kX, xg::kFloat64);
  const auto a1 = xg::sigmoid(p.w1 * x + p.b1);
  const auto a2 = xg::sigmoid(p.w2 * a1 + p.b2);
  return 0.5 * xg::pow(kTarget - a2, 2);
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("backprop_by_hand", argc, argv);
  const Parameters start{.w1 = 0.15, .b1 = 0.4, .w2 = 0.45, .b2 = 0.65};

  std::printf("Two sigmoid neurons in a chain: x = %.2f, T = %.2f, learning rate %.1f\n", kX, kTarget, kLearningRate);
  std::printf("w1 = %.2f, b1 = %.2f, w2 = %.2f, b2 = %.2f\n\n", start.w1, start.b1, start.w2, start.b2);

  // ---- forward pass, by hand
  const Forward f = forward_by_hand(start);
  std::printf("Forward pass\n");
  std::printf("  z1 = w1*x + b1  = %.2f*%.2f + %.2f = %.6f\n", start.w1, kX, start.b1, f.z1);
  std::printf("  a1 = sigma(z1)  = %.6f\n", f.a1);
  std::printf("  z2 = w2*a1 + b2 = %.2f*%.6f + %.2f = %.6f\n", start.w2, f.a1, start.b2, f.z2);
  std::printf("  a2 = sigma(z2)  = %.6f\n", f.a2);
  std::printf("  E  = 1/2 (T - a2)^2 = 1/2 (%.2f - %.6f)^2 = %.6f\n\n", kTarget, f.a2, f.error);

  // ---- backward pass, by hand: the local derivatives, then their products
  const double dE_da2 = -(kTarget - f.a2);
  const double da2_dz2 = f.a2 * (1 - f.a2);
  const double dz2_da1 = start.w2;
  const double da1_dz1 = f.a1 * (1 - f.a1);
  const std::vector<ChainProduct> by_hand = {
      {"w2", {{"dE/da2", dE_da2}, {"da2/dz2", da2_dz2}, {"dz2/dw2", f.a1}}},
      {"b2", {{"dE/da2", dE_da2}, {"da2/dz2", da2_dz2}, {"dz2/db2", 1.0}}},
      {"w1", {{"dE/da2", dE_da2}, {"da2/dz2", da2_dz2}, {"dz2/da1", dz2_da1}, {"da1/dz1", da1_dz1}, {"dz1/dw1", kX}}},
      {"b1", {{"dE/da2", dE_da2}, {"da2/dz2", da2_dz2}, {"dz2/da1", dz2_da1}, {"da1/dz1", da1_dz1}, {"dz1/db1", 1.0}}},
  };
  std::printf("Backward pass: the chain rule, factor by factor\n");
  std::printf("  dE/da2 = -(T - a2) = %.6f   da2/dz2 = a2(1 - a2) = %.6f\n", dE_da2, da2_dz2);
  std::printf("  dz2/da1 = w2 = %.6f         da1/dz1 = a1(1 - a1) = %.6f\n\n", dz2_da1, da1_dz1);
  for (const auto& c : by_hand) print_product(c);

  // ---- the engine on the same graph
  EngineParameters p{xg::tensor(start.w1, xg::kFloat64).requires_grad_(), xg::tensor(start.b1, xg::kFloat64).requires_grad_(),
                     xg::tensor(start.w2, xg::kFloat64).requires_grad_(), xg::tensor(start.b2, xg::kFloat64).requires_grad_()};
  const xg::Tensor error = engine_error(p);
  error.backward();
  std::vector<std::pair<std::string, xg::Tensor>> engine = {{"w2", p.w2}, {"b2", p.b2}, {"w1", p.w1}, {"b1", p.b1}};

  std::printf("%-9s %16s %16s %10s\n", "dE/dp", "by hand", "engine", "|diff|");
  double max_diff = 0;
  for (std::size_t i = 0; i < by_hand.size(); ++i) {
    const double hand = by_hand[i].value(), grad = engine[i].second.grad().item();
    max_diff = std::max(max_diff, std::abs(hand - grad));
    std::printf("dE/d%-5s %16.12f %16.12f %10.2g\n", by_hand[i].parameter.c_str(), hand, grad, std::abs(hand - grad));
    run.summary("hand_dE_d" + by_hand[i].parameter, hand);
    run.summary("engine_dE_d" + by_hand[i].parameter, grad);
  }
  std::printf("engine error E = %.12f (by hand %.12f)\n\n", error.item(), f.error);

  // ---- one step of gradient descent on all four parameters
  std::printf("One step p <- p - %.1f * dE/dp\n", kLearningRate);
  std::printf("%-4s %10s %12s %12s\n", "p", "before", "dE/dp", "after");
  {
    xg::NoGradGuard no_grad;
    for (auto& [name, t] : engine) {
      const double before = t.item(), grad = t.grad().item();
      t.sub_(kLearningRate * t.grad());
      t.zero_grad();
      std::printf("%-4s %10.6f %12.8f %12.8f\n", name.c_str(), before, grad, t.item());
      run.summary(name + "_after_step", t.item());
    }
  }
  const double error_after = engine_error(p).item();
  const Forward f_after = forward_by_hand({p.w1.item(), p.b1.item(), p.w2.item(), p.b2.item()});
  std::printf("\nerror before %.8f, after one step %.8f (by hand %.8f): down by %.2f%%\n", error.item(), error_after,
              f_after.error, 100.0 * (error.item() - error_after) / error.item());
  std::printf("output a2 moved from %.6f to %.6f, towards T = %.2f\n", f.a2, f_after.a2, kTarget);

  run.summary("error_before", error.item());
  run.summary("error_after", error_after);
  run.summary("max_abs_diff_hand_engine", max_diff);
  return 0;
}
