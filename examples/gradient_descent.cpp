// gradient_descent — the course's first lesson: fit one weight w so that the model z = w·x
// reproduces z = 2x, by gradient descent on the cost C(w) = ½ (w·x − 2x)² at the training
// point x = 1, starting at w0 = 0.2 with learning rate 0.4.
//
//   dC/dw = (w·x − 2x)·x,   w ← w − lr · dC/dw
//
// With x = 1 each step shrinks the error w − 2 by the factor (1 − lr·x²) = 0.6, so w climbs
// 0.2, 0.92, 1.352, ... towards 2. The same fit with lr = 2.2 (factor −1.2: every step
// overshoots further, the cost diverges) and lr = 0.02 (factor 0.98: a slow crawl) shows why the
// learning rate matters. The gradient comes from xgrad's backward(), not from the formula above;
// the program prints both.
//
// Outputs: gradient_descent.csv/.gp/.png (cost per iteration for the three learning rates, log
// scale) and gradient_descent.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

struct Trace {
  std::vector<double> w, cost;
};

// Runs `iterations` steps of gradient descent from w0 with the engine computing dC/dw.
Trace descend(double w0, double lr, int iterations, bool print) {
  const auto x = xg::tensor(1.0, xg::kFloat64);
  const auto target = 2.0 * x;
  auto w = xg::tensor(w0, xg::kFloat64).requires_grad_();
  Trace t;
  if (print) std::printf("%4s %12s %12s %12s %12s\n", "iter", "w", "cost", "dC/dw", "by hand");
  for (int i = 0; i <= iterations; ++i) {
    auto cost = 0.5 * xg::pow(w * x - target, 2);
    cost.backward();
    const double wv = w.item(), grad = w.grad().item();
    t.w.push_back(wv);
    t.cost.push_back(cost.item());
    if (print) std::printf("%4d %12.6f %12.6g %12.6f %12.6f\n", i, wv, cost.item(), grad, (wv * 1.0 - 2.0) * 1.0);
    if (i == iterations) break;
    xg::NoGradGuard no_grad;
    w.sub_(lr * w.grad());
    w.zero_grad();
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("gradient_descent", argc, argv);
  const int iterations = run.quick() ? 20 : 30;

  std::printf("Gradient descent on C(w) = 1/2 (w*x - 2x)^2 at x = 1, w0 = 0.2, learning rate 0.4\n");
  const Trace good = descend(0.2, 0.4, iterations, true);
  std::printf("\nafter %d iterations w = %.6f (target 2)\n\n", iterations, good.w.back());

  const Trace big = descend(0.2, 2.2, iterations, false);
  const Trace small = descend(0.2, 0.02, iterations, false);
  std::printf("learning rate 2.2:  w = %-12.6g cost = %.6g   (each step overshoots: diverges)\n", big.w.back(),
              big.cost.back());
  std::printf("learning rate 0.02: w = %-12.6g cost = %.6g   (a slow crawl)\n", small.w.back(), small.cost.back());

  run.summary("iterations", iterations);
  run.summary("final_w", good.w.back());
  run.summary("final_cost", good.cost.back());
  run.summary("w_after_1", good.w[1]);
  run.summary("large_lr_final_cost", big.cost.back());
  run.summary("small_lr_final_w", small.w.back());

  std::vector<double> iter;
  for (int i = 0; i <= iterations; ++i) iter.push_back(i);
  xg::examples::Figure fig("iteration", iter);
  fig.column("lr 0.4", good.cost);
  fig.column("lr 2.2 (too large)", big.cost);
  fig.column("lr 0.02 (too small)", small.cost);
  fig.panel("Gradient descent on 1/2 (w x - 2x)^2", "cost").logscale_y().plot("lr 0.4").plot("lr 2.2 (too large)").plot(
      "lr 0.02 (too small)");
  run.report(fig.save(run.out_path("gradient_descent")));
  return 0;
}
