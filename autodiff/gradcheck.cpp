// gradcheck / gradgradcheck: the engine's gradients against central finite differences.
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/engine.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/gradcheck.hpp"
#include "autodiff/ops.hpp"

namespace xg {

namespace {

constexpr std::size_t kFullJacobianMaxOutputs = 256;

// A fixed pseudo-random vector (its own generator: the global one is left untouched).
std::vector<double> probe_vector(std::size_t n) {
  std::vector<double> v(n);
  std::uint64_t s = 0x2545F4914F6CDD1DULL;
  for (auto& x : v) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    x = static_cast<double>(s >> 11) * 0x1.0p-53 * 2.0 - 1.0;
  }
  return v;
}

std::string index_str(const Shape& shape, std::size_t flat) {
  Shape idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return shape_str(idx);
}

Tensor evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& xs) {
  Tensor y = f(xs);
  if (!y.defined()) throw ValueError("gradcheck: the function returned an undefined tensor");
  return y.dtype() == kFloat64 ? y : y.to(kFloat64);
}

}  // namespace

namespace {

// eps > 0 and tolerances ≥ 0, all finite: a NaN tolerance would fail every element while the
// report still read like a pass, and eps = 0 divides by zero.
void check_options(const GradcheckOptions& opt, const char* who) {
  if (!(std::isfinite(opt.eps) && opt.eps > 0))
    throw ValueError(fmt::format("{}: eps must be a finite step > 0, got {}", who, opt.eps));
  for (const auto& [name, v] : {std::pair{"atol", opt.atol}, std::pair{"rtol", opt.rtol}})
    if (!(std::isfinite(v) && v >= 0))
      throw ValueError(fmt::format("{}: {} must be a finite tolerance >= 0, got {}", who, name, v));
}

}  // namespace

GradcheckResult gradcheck(std::function<Tensor(const std::vector<Tensor>&)> f, std::vector<Tensor> inputs,
                          GradcheckOptions opt) {
  check_options(opt, "gradcheck");
  bool any_requires = false;
  for (const auto& x : inputs) {
    if (!x.defined()) throw ValueError("gradcheck: an input is undefined");
    any_requires = any_requires || x.requires_grad();
  }
  // float64 leaf copies; the caller's tensors are never touched.
  std::vector<Tensor> xs;
  std::vector<std::size_t> checked;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    xs.push_back(from_vector(inputs[i].to_vector(), inputs[i].shape(), kFloat64));
    if (!any_requires || inputs[i].requires_grad()) {
      xs.back().requires_grad_(true);
      checked.push_back(i);
    }
  }
  std::vector<Tensor> wrt;
  for (std::size_t i : checked) wrt.push_back(xs[i]);

  const Tensor y0 = evaluate(f, xs);
  const std::size_t m = y0.numel();
  const bool project = m > kFullJacobianMaxOutputs;
  const std::size_t rows = project ? 1 : m;
  const std::vector<double> probe = project ? probe_vector(m) : std::vector<double>{};

  // analytic[r][c][k]: d(output row r) / d(checked input c, element k)
  std::vector<std::vector<std::vector<double>>> analytic(rows);
  for (std::size_t r = 0; r < rows; ++r) {
    if (!y0.requires_grad()) {
      for (std::size_t c = 0; c < checked.size(); ++c) analytic[r].emplace_back(xs[checked[c]].numel(), 0.0);
      continue;
    }
    std::vector<double> seed(m, 0.0);
    if (project)
      seed = probe;
    else
      seed[r] = 1.0;
    auto grads = grad({y0}, wrt, {from_vector(seed, y0.shape(), kFloat64)}, /*retain_graph=*/true);
    for (auto& g : grads) analytic[r].push_back(g.to_vector());
  }

  GradcheckResult result{true, 0.0, 0.0, "all gradients match"};
  double worst = -1;
  for (std::size_t c = 0; c < checked.size(); ++c) {
    Tensor& x = xs[checked[c]];
    double* p = x.data_ptr<double>();
    for (std::size_t k = 0; k < x.numel(); ++k) {
      const double orig = p[k];
      p[k] = orig + opt.eps;
      const std::vector<double> plus = evaluate(f, xs).to_vector();
      p[k] = orig - opt.eps;
      const std::vector<double> minus = evaluate(f, xs).to_vector();
      p[k] = orig;
      for (std::size_t r = 0; r < rows; ++r) {
        double numeric = 0;
        if (project) {
          for (std::size_t j = 0; j < m; ++j) numeric += probe[j] * (plus[j] - minus[j]) / (2 * opt.eps);
        } else {
          numeric = (plus[r] - minus[r]) / (2 * opt.eps);
        }
        const double a = analytic[r][c][k];
        const double err = std::abs(a - numeric);
        const double bound = opt.atol + opt.rtol * std::abs(numeric);
        const double excess = std::isnan(err) ? std::numeric_limits<double>::infinity() : err / bound;
        result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
        result.max_rel_error = std::max(result.max_rel_error, err / std::max(std::abs(numeric), opt.atol));
        if (excess > worst) {
          worst = excess;
          const std::string where =
              project ? "output projected on a fixed random vector"
                      : fmt::format("output element {}", index_str(y0.shape(), r));
          result.report = fmt::format(
              "input {} (shape {}), element {}, {}: analytic {:.10g} vs numeric {:.10g} (abs error {:.3g}, "
              "allowed {:.3g})",
              checked[c], shape_str(x.shape()), index_str(x.shape(), k), where, a, numeric, err, bound);
        }
        if (!(excess <= 1.0)) result.ok = false;
      }
    }
  }
  if (result.ok) result.report = "all gradients match; closest call: " + result.report;
  return result;
}

GradcheckResult gradgradcheck(std::function<Tensor(const std::vector<Tensor>&)> f, std::vector<Tensor> inputs,
                              GradcheckOptions opt) {
  check_options(opt, "gradgradcheck");
  bool any_requires = false;
  for (const auto& x : inputs) any_requires = any_requires || (x.defined() && x.requires_grad());
  std::vector<std::size_t> checked;
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    Tensor x = from_vector(inputs[i].to_vector(), inputs[i].shape(), kFloat64);
    if (!any_requires || inputs[i].requires_grad()) {
      x.requires_grad_(true);
      checked.push_back(i);
    }
    xs.push_back(x);
  }
  Shape out_shape;
  {
    NoGradGuard no_grad;
    out_shape = f(xs).shape();
  }
  Tensor v = from_vector(probe_vector(shape_numel(out_shape)), out_shape, kFloat64).requires_grad_(true);
  xs.push_back(v);
  const std::size_t n = inputs.size();
  // (x, v) ↦ ∂⟨f(x), v⟩/∂x, flattened and joined.
  auto first_derivative = [f, checked, n](const std::vector<Tensor>& args) {
    std::vector<Tensor> x(args.begin(), args.begin() + static_cast<long>(n));
    std::vector<Tensor> wrt;
    for (std::size_t i : checked) wrt.push_back(x[i]);
    Tensor y = f(x);
    std::vector<Tensor> gs;
    if (y.requires_grad()) {
      gs = grad({y}, wrt, {args[n]}, /*retain_graph=*/true, /*create_graph=*/true);
    } else {
      for (const auto& w : wrt) gs.push_back(zeros_like(w));
    }
    std::vector<Tensor> flat;
    for (auto& g : gs) flat.push_back(reshape(g, {g.numel()}));
    return concat(flat, 0);
  };
  return gradcheck(first_derivative, xs, opt);
}

}  // namespace xg
