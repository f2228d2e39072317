// The course's worked example: one input, two sigmoid neurons in a chain.
//   a1 = σ(w1·x + b1), a2 = σ(w2·a1 + b2), E = ½(T − a2)²
//   dE/dw2 = −(T − a2)·a2·(1 − a2)·a1;  one step of learning rate 0.4 gives w2 ≈ 0.42717.
#include <gtest/gtest.h>

#include <cmath>

#include <autodiff/autodiff.hpp>

namespace xg {
namespace {

TEST(Course, TwoSigmoidNeuronsByHandAndByEngine) {
  const double x_v = 0.1, T = 0.25, lr = 0.4;
  auto x = tensor(x_v, kFloat64);
  auto w1 = tensor(0.15, kFloat64).requires_grad_(), b1 = tensor(0.4, kFloat64).requires_grad_();
  auto w2 = tensor(0.45, kFloat64).requires_grad_(), b2 = tensor(0.65, kFloat64).requires_grad_();
  auto a1 = sigmoid(w1 * x + b1);
  auto a2 = sigmoid(w2 * a1 + b2);
  auto E = 0.5 * pow(T - a2, 2);
  E.backward();

  const double A1 = 1 / (1 + std::exp(-(0.15 * x_v + 0.4)));
  const double A2 = 1 / (1 + std::exp(-(0.45 * A1 + 0.65)));
  const double dE_dw2 = -(T - A2) * A2 * (1 - A2) * A1;
  const double dE_dw1 = -(T - A2) * A2 * (1 - A2) * 0.45 * A1 * (1 - A1) * x_v;
  EXPECT_NEAR(a1.item(), A1, 1e-15);
  EXPECT_NEAR(a2.item(), A2, 1e-15);
  EXPECT_NEAR(w2.grad().item(), dE_dw2, 1e-15);
  EXPECT_NEAR(w1.grad().item(), dE_dw1, 1e-15);
  EXPECT_NEAR(b2.grad().item(), -(T - A2) * A2 * (1 - A2), 1e-15);

  {
    NoGradGuard no_grad;
    w2.sub_(w2.grad() * lr);
  }
  EXPECT_NEAR(w2.item(), 0.42717, 5e-6);
}

}  // namespace
}  // namespace xg
