// Consumer of an installed or add_subdirectory'd xgrad: builds a small graph, runs backward and
// checks the gradients against hand-derived values. Exit status 0 on success.
#include <autodiff/autodiff.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {
int failures = 0;

void expect_near(const char* what, const std::vector<double>& got, const std::vector<double>& want) {
  bool ok = got.size() == want.size();
  for (std::size_t i = 0; ok && i < got.size(); ++i) ok = std::abs(got[i] - want[i]) <= 1e-9 * (1 + std::abs(want[i]));
  std::printf("%s: %s\n", what, ok ? "ok" : "MISMATCH");
  if (!ok) {
    ++failures;
    for (std::size_t i = 0; i < got.size() || i < want.size(); ++i)
      std::printf("  [%zu] got %.17g want %.17g\n", i, i < got.size() ? got[i] : NAN, i < want.size() ? want[i] : NAN);
  }
}
}  // namespace

int main() {
  // y = Σ (x³ + 2x)  →  dy/dx = 3x² + 2
  auto x = xg::tensor({1.0, 2.0, 3.0}, xg::kFloat64).requires_grad_();
  auto y = (x * x * x + 2.0 * x).sum();
  y.backward();
  expect_near("d/dx sum(x^3 + 2x)", x.grad().to_vector(), {5.0, 14.0, 29.0});

  // z = Σ A·W (BLAS GEMM inside)  →  dz/dW = Aᵀ·1, i.e. the column sums of A repeated per column
  auto a = xg::tensor({{1.0, 2.0}, {3.0, 4.0}, {5.0, 6.0}}, xg::kFloat64);
  auto w = xg::tensor({{0.5, -1.0}, {2.0, 0.25}}, xg::kFloat64).requires_grad_();
  xg::matmul(a, w).sum().backward();
  expect_near("d/dW sum(A W)", w.grad().to_vector(), {9.0, 9.0, 12.0, 12.0});

  // the xtensor side of the interface
  xt::xarray<double> g = x.grad().to_xarray<double>();
  expect_near("to_xarray", std::vector<double>(g.begin(), g.end()), {5.0, 14.0, 29.0});

  std::printf(failures ? "consumer: FAILED\n" : "consumer: all ok\n");
  return failures ? 1 : 0;
}
