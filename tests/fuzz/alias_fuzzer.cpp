// The aliasing fuzzer (alias_fuzzer.hpp).
#include "alias_fuzzer.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <fmt/format.h>

#include <autodiff/autodiff.hpp>
#include <autodiff/ops/linear.hpp>

namespace xg::fuzz {

namespace {

// A root of the backward pass: its output and the gradient it is seeded with.
struct Root {
  Tensor output, grad_output;
};

// Max |a - b| / (1 + |b|) over the elements.
double rel_diff(const Tensor& a, const Tensor& b) {
  if (!a.defined() && !b.defined()) return 0;
  if (!a.defined() || !b.defined() || a.shape() != b.shape()) return INFINITY;
  const auto va = a.to_vector(), vb = b.to_vector();
  double worst = 0;
  for (std::size_t i = 0; i < va.size(); ++i) worst = std::max(worst, std::abs(va[i] - vb[i]) / (1 + std::abs(vb[i])));
  return std::isnan(worst) ? INFINITY : worst;
}

std::string values(const Tensor& t) {
  return t.defined() ? fmt::format("[{}]", fmt::join(t.to_vector(), ", ")) : std::string("undefined");
}

}  // namespace

AliasResult check_aliasing(std::uint64_t seed, std::size_t index) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + index);
  auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const Dtype dtype = below(4) == 0 ? kFloat32 : kFloat64;
  const std::size_t out_f = 1 + below(5), in_f = below(3) == 0 ? out_f : 1 + below(5), m = 1 + below(4);
  const bool square = out_f == in_f, with_bias = below(2) == 0, bias_grad = below(2) == 0;
  manual_seed(seed ^ (index * 7919));

  Tensor w = randn({out_f, in_f}, dtype).requires_grad_();
  Tensor b = with_bias ? randn({out_f}, dtype).requires_grad_() : Tensor();
  {  // .grad buffers for the sinks: W.grad = R (and b.grad = r)
    Tensor first = (w * randn({out_f, in_f}, dtype)).sum();
    if (with_bias && bias_grad) first = first + (b * randn({out_f}, dtype)).sum();
    first.backward();
  }
  const Tensor wg0 = w.grad().clone(), bg0 = with_bias && bias_grad ? b.grad().clone() : Tensor();
  const Tensor x = randn({square ? out_f : m, in_f}, dtype);  // a constant input
  const Tensor gy_lin = randn({out_f, out_f}, dtype);

  // The aliased forms, written once over "the gradient tensor" g: called with w.grad() for the
  // case itself, with a copy for the reference.
  std::vector<int> forms;
  const std::size_t count = 1 + below(3);
  for (std::size_t i = 0; i < count; ++i) forms.push_back(static_cast<int>(below(square ? 6 : 2)));
  auto roots_over = [&](const Tensor& g) {
    std::vector<Root> roots;
    for (int f : forms) switch (f) {
        case 0: roots.push_back({fused::linear(g, w, b), gy_lin}); break;  // lin(W.grad)
        case 1: roots.push_back({fused::linear(reshape(g, {out_f, in_f}), w, b), gy_lin}); break;  // a view
        case 2: roots.push_back({matmul(g, w), gy_lin}); break;                     // matmul(W.grad, W)
        case 3: roots.push_back({matmul(w, g), gy_lin}); break;                     // matmul(W, W.grad)
        case 4: roots.push_back({matmul(x, w), g}); break;                          // backward(W.grad)
        default: roots.push_back({fused::linear(x, w, b), g}); break;      // backward(W.grad), linear
      }
    return roots;
  };

  // Reference: the same roots over a copy of W.grad, differentiated by xg::grad (no sinks).
  std::vector<Tensor> wrt = {w};
  if (with_bias) wrt.push_back(b);
  std::vector<Tensor> expected;
  {
    std::vector<Tensor> outs, gos;
    for (auto& r : roots_over(wg0)) {
      outs.push_back(r.output);
      gos.push_back(r.grad_output);
    }
    expected = grad(outs, wrt, gos);
    expected[0] = wg0 + expected[0];
    const bool bias_used = std::any_of(forms.begin(), forms.end(), [](int f) { return f == 0 || f == 1 || f == 5; });
    if (with_bias && !bias_used) expected[1] = bg0;  // untouched: undefined, or what it was
    else if (with_bias && bias_grad) expected[1] = bg0 + expected[1];
  }
  // The case: the same roots over w.grad() itself, accumulated by backward.
  {
    std::vector<Tensor> outs, gos;
    for (auto& r : roots_over(w.grad())) {
      outs.push_back(r.output);
      gos.push_back(r.grad_output);
    }
    backward(outs, gos);
  }

  AliasResult result;
  result.forms = static_cast<int>(forms.size());
  const double tol = dtype == kFloat32 ? 1e-4 : 1e-10;
  std::vector<std::pair<std::string, double>> diffs = {{"weight", rel_diff(w.grad(), expected[0])}};
  if (with_bias) diffs.emplace_back("bias", rel_diff(b.grad(), expected[1]));
  for (const auto& [name, d] : diffs)
    if (!(d <= tol)) {
      result.ok = false;
      result.report += fmt::format(
          "aliasing case {} of seed {}: {} weight {{{}, {}}}, forms [{}], bias {}: the {} gradient is off by {:.3g} "
          "(relative)\n  expected {}\n  actual   {}\n",
          index, seed, dtype_name(dtype), out_f, in_f, fmt::join(forms, ", "),
          with_bias ? (bias_grad ? "with .grad" : "without .grad") : "none", name, d,
          values((name == "weight" ? expected[0] : expected[1])), values(name == "weight" ? w.grad() : b.grad()));
    }
  return result;
}

}  // namespace xg::fuzz
