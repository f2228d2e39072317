// Reliability round 2, the engine's findings: gradient sinks that alias what their rule reads,
// xg::grad with an input listed twice, uniform's bounds, extents that wrap, the 0-D dim rules,
// option checks (to_dot, gradcheck), re-entrant backward and the create_graph warning.
// (The GEMM's 32-bit limits are pinned in test_gemm.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>

#include "expect_error.hpp"

namespace {

using xg::Tensor;
using xg::testing::expect_error;

void expect_close(const Tensor& a, const Tensor& b, double tol = 1e-5) {
  ASSERT_EQ(a.shape(), b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  for (std::size_t i = 0; i < va.size(); ++i) EXPECT_NEAR(va[i], vb[i], tol) << "element " << i;
}

Tensor seeded(xg::Shape shape, std::uint64_t seed) {
  xg::manual_seed(seed);
  return xg::randn(std::move(shape));
}

// ----------------------------------------------------------------------- 1: gradient sinks

// `lin(lin.weight.grad())`: the rule's input x is weight.grad, the GEMM dW = gᵀ·x into it.
TEST(GradientSinkAliasing, LinearFedItsOwnWeightGrad) {
  xg::manual_seed(0);
  xg::nn::Linear lin(2, 2, false);
  lin(seeded({3, 2}, 1)).sum().backward();  // weight.grad exists: the sink is open
  const Tensor g0 = lin.weight.grad().clone();
  const Tensor gy = seeded({2, 2}, 2);
  lin(lin.weight.grad()).backward(gy);
  expect_close(lin.weight.grad(), g0 + xg::matmul(gy.t(), g0));  // dW = gyᵀ·x with x = g0
}

// matmul(B.grad, B): the saved operand a is B.grad, dB = aᵀ·g lands in B.grad.
TEST(GradientSinkAliasing, MatmulOfAGradWithItsOwnTensor) {
  for (std::size_t n : {2, 16}) {
    Tensor b = seeded({n, n}, 3).requires_grad_();
    (b * b).sum().backward();
    const Tensor g0 = b.grad().clone();
    const Tensor gy = seeded({n, n}, 4);
    xg::matmul(b.grad(), b).backward(gy);
    expect_close(b.grad(), g0 + xg::matmul(g0.t(), gy), 1e-4);
  }
}

// The incoming gradient is the sink itself: y = x·W, backward(W.grad).
TEST(GradientSinkAliasing, IncomingGradientIsTheSink) {
  Tensor w = seeded({3, 3}, 5).requires_grad_();
  const Tensor x = seeded({3, 3}, 6);
  xg::matmul(x, w).sum().backward();
  const Tensor g0 = w.grad().clone();
  xg::matmul(x, w).backward(w.grad());
  expect_close(w.grad(), g0 + xg::matmul(x.t(), g0), 1e-4);

  xg::manual_seed(7);
  xg::nn::Linear lin(3, 3, true);
  lin(x).sum().backward();
  const Tensor w0 = lin.weight.grad().clone(), b0 = lin.bias.grad().clone();
  const Tensor gy = lin.weight.grad();  // {3, 3}: the gradient fed back is the weight's own .grad
  lin(x).backward(gy);
  expect_close(lin.weight.grad(), w0 + xg::matmul(w0.t(), x), 1e-4);
  expect_close(lin.bias.grad(), b0 + w0.sum({0}), 1e-4);
}

// Two ops read weight.grad and both feed the weight: the second must not see the first's
// contribution (before: a false "modified in place" error, or a sink that wrote while read).
TEST(GradientSinkAliasing, TwoOpsReadingTheGradOfTheLeafTheyFeed) {
  xg::manual_seed(0);
  xg::nn::Linear lin(3, 3, false);
  lin(seeded({2, 3}, 1)).sum().backward();
  const Tensor g0 = lin.weight.grad().clone();
  const Tensor gy = seeded({3, 3}, 2);
  const Tensor x = seeded({3, 3}, 3);
  // dW = gyᵀ·g0 (from lin(W.grad)) + g0ᵀ·x (from matmul(W.grad, W)) + xᵀ·g0 (from backward(W.grad)).
  xg::backward({lin(lin.weight.grad()), xg::matmul(lin.weight.grad(), lin.weight), xg::matmul(x, lin.weight)},
               {gy, x, lin.weight.grad()});
  expect_close(lin.weight.grad(),
               g0 + xg::matmul(gy.t(), g0) + xg::matmul(g0.t(), x) + xg::matmul(x.t(), g0), 1e-4);
}

// .grad is still accumulated in place: a handle taken before backward sees the new values.
TEST(GradientSinkAliasing, GradHandleSeesAccumulationOfALeafUsedTwice) {
  Tensor w = xg::tensor({1.0, 2.0}).requires_grad_();
  (w * w).sum().backward();
  const Tensor handle = w.grad();
  (w * 3.0 + w * w).sum().backward();  // two edges into w
  expect_close(handle, xg::tensor({2.0 + 3.0 + 2.0, 4.0 + 3.0 + 4.0}));
  EXPECT_EQ(handle.impl(), w.grad().impl());
}

// Sinks still serve the ordinary loop (no aliasing): the same numbers as without them.
TEST(GradientSinkAliasing, OrdinaryAccumulationUnchanged) {
  xg::manual_seed(0);
  xg::nn::Linear lin(4, 3);
  const Tensor x = seeded({5, 4}, 8);
  lin(x).sum().backward();
  lin(x).sum().backward();  // into the existing .grad
  const Tensor once = xg::matmul(xg::ones({3, 5}), x);
  expect_close(lin.weight.grad(), once * 2.0, 1e-4);
}

// ----------------------------------------------------------------------- 3: xg::grad duplicates

TEST(GradOfRepeatedInputs, EachListingGetsTheGradient) {
  // torch.autograd.grad(y, [x, x]) returns the gradient twice.
  Tensor x = xg::tensor({1.0, 2.0, 3.0}).requires_grad_();
  Tensor z = xg::tensor({4.0}).requires_grad_();
  Tensor y = (x * x).sum() * z.sum();
  auto g = xg::grad({y}, {x, z, x}, {}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/false);
  ASSERT_EQ(g.size(), 3u);
  expect_close(g[0], xg::tensor({8.0, 16.0, 24.0}));
  expect_close(g[1], xg::tensor({14.0}));
  expect_close(g[2], xg::tensor({8.0, 16.0, 24.0}));
  // A non-leaf listed twice, too.
  Tensor a = xg::tensor({1.0, 2.0}).requires_grad_();
  Tensor h = a * 3.0;
  auto gh = xg::grad({(h * h).sum()}, {h, h});
  expect_close(gh[0], xg::tensor({6.0, 12.0}));
  expect_close(gh[1], xg::tensor({6.0, 12.0}));
}

// ----------------------------------------------------------------------- 5: uniform bounds

TEST(UniformBounds, NonFiniteOrOverflowingRangesAreRefused) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::nan("");
  // torch: "from is out of bounds for double", "uniform_ expects to-from <= ...max()".
  expect_error<xg::ValueError>([&] { xg::uniform({2}, -inf, inf); }, {"uniform", "lo = -inf"});
  expect_error<xg::ValueError>([&] { xg::uniform({2}, 0, inf, xg::kFloat64); }, {"uniform", "hi = inf"});
  expect_error<xg::ValueError>([&] { xg::uniform({2}, nan, 1); }, {"uniform", "lo = nan"});
  expect_error<xg::ValueError>([&] { xg::uniform({2}, -1e308, 1e308, xg::kFloat64); }, {"uniform", "hi - lo"});
  expect_error<xg::ValueError>([&] { xg::uniform({2}, -3e38, 3e38, xg::kFloat32); }, {"uniform", "float32"});
  expect_error<xg::ValueError>([&] { xg::uniform({2}, -1e39, 0, xg::kFloat32); }, {"uniform", "float32"});
  // Wide but representable ranges still sample finite values.
  for (double v : xg::uniform({64}, -1e307, 1e307, xg::kFloat64).to_vector()) EXPECT_TRUE(std::isfinite(v));
  for (double v : xg::uniform({4}, 1, 1).to_vector()) EXPECT_EQ(v, 1.0);
}

// ----------------------------------------------------------------------- 6: wrapping extents

TEST(ExtentOverflow, FlattenAndConcatRefuseExtentsThatWrap) {
  const std::size_t big = std::size_t{1} << 40;
  const Tensor e = xg::zeros({0, big, big});  // empty, so it exists
  expect_error<xg::ShapeError>([&] { xg::flatten(e, 1); }, {"flatten", "overflows"});
  EXPECT_EQ(xg::flatten(e, 2).shape(), (xg::Shape{0, big, big}));
  EXPECT_EQ(xg::flatten(xg::zeros({big, 0, big}), 0).shape(), (xg::Shape{0}));  // a true 0
  const Tensor h = xg::zeros({std::size_t{1} << 63, 0});
  expect_error<xg::ShapeError>([&] { xg::concat({h, h}, 0); }, {"concat", "2^64"});
  EXPECT_EQ(xg::concat({h, h}, 1).shape(), (xg::Shape{std::size_t{1} << 63, 0}));
  // Ops over the slices of such an empty tensor do no work at all (not 2^63 empty iterations).
  EXPECT_EQ(xg::slice(h, 1, 0, 0).shape(), h.shape());
  EXPECT_EQ(xg::index_select(h, 1, {}).shape(), h.shape());
  EXPECT_EQ(xg::softmax(h, 1).shape(), h.shape());
  EXPECT_EQ(xg::index_add(h, 1, {}, 0).shape(), h.shape());
}

// ----------------------------------------------------------------------- 0-D dims, as PyTorch

TEST(ZeroDimDims, SoftmaxRefusesDimsAZeroDTensorHasNot) {
  const Tensor x = xg::tensor(3.0);
  for (int d : {0, -1}) {
    EXPECT_EQ(xg::softmax(x, d).item(), 1.0);
    EXPECT_EQ(xg::log_softmax(x, d).item(), 0.0);
  }
  // torch: "Dimension out of range (expected to be in range of [-1, 0], but got 5)".
  expect_error<xg::ShapeError>([&] { xg::softmax(x, 5); }, {"softmax", "dim 5", "0-D"});
  expect_error<xg::ShapeError>([&] { xg::log_softmax(x, 1); }, {"log_softmax", "dim 1", "0-D"});
}

TEST(ZeroDimDims, MaxArgmaxIndexSelectAcceptDimZero) {
  // torch.max(tensor(3.), 0) -> (3., 0); argmax -> 0; index_select(x, 0, [0]) -> tensor(3.).
  Tensor x = xg::tensor(3.0).requires_grad_();
  for (int d : {0, -1}) {
    const Tensor m = xg::max(x, d);
    EXPECT_EQ(m.dim(), 0u);
    EXPECT_EQ(m.item(), 3.0);
    EXPECT_EQ(xg::max(x, d, /*keepdim=*/true).dim(), 0u);
    EXPECT_EQ(xg::argmax(x, d).dim(), 0u);
    EXPECT_EQ(xg::argmax(x, d).item(), 0.0);
    const Tensor s = xg::index_select(x, d, {0});
    EXPECT_EQ(s.dim(), 0u);
    EXPECT_EQ(s.item(), 3.0);
  }
  (xg::max(x, 0) * 2.0 + xg::index_select(x, 0, {0})).backward();
  EXPECT_EQ(x.grad().item(), 3.0);
  expect_error<xg::ShapeError>([&] { xg::max(x, 1); }, {"max", "dim 1", "0-D"});
  expect_error<xg::ShapeError>([&] { xg::argmax(x, 2); }, {"argmax", "dim 2", "0-D"});
  expect_error<xg::ValueError>([&] { xg::index_select(x, 0, {1}); }, {"index_select", "index 1"});
  expect_error<xg::ValueError>([&] { xg::index_select(x, 0, {0, 0}); }, {"index_select", "exactly one index"});
  auto check = xg::gradcheck([](const std::vector<Tensor>& in) { return xg::max(in[0], 0) * 3.0; },
                             {xg::tensor(0.5, xg::kFloat64)});
  EXPECT_TRUE(check.ok) << check.report;
}

// ----------------------------------------------------------------------- option checks

TEST(OptionChecks, ToDotPrecisionOutOfRangeIsAValueError) {
  Tensor x = xg::tensor({1.0, 2.0}).requires_grad_();
  const Tensor y = (x * x).sum();
  for (int p : {-1, 0, 18, 1000})
    expect_error<xg::ValueError>([&] { xg::to_dot(y, {.precision = p}); }, {"to_dot", "precision", std::to_string(p)});
  EXPECT_NE(xg::to_dot(y, {.precision = 1}).find("digraph"), std::string::npos);
  EXPECT_NE(xg::to_dot(y, {.precision = 17}).find("digraph"), std::string::npos);
}

TEST(OptionChecks, GradcheckRefusesNonsenseStepsAndTolerances) {
  auto f = [](const std::vector<Tensor>& in) { return (in[0] * in[0]).sum(); };
  const std::vector<Tensor> in = {xg::tensor({1.0, 2.0}, xg::kFloat64)};
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  expect_error<xg::ValueError>([&] { xg::gradcheck(f, in, {.eps = 1e-6, .atol = nan}); }, {"gradcheck", "atol", "nan"});
  expect_error<xg::ValueError>([&] { xg::gradcheck(f, in, {.eps = 1e-6, .atol = 1e-5, .rtol = inf}); },
                               {"gradcheck", "rtol"});
  expect_error<xg::ValueError>([&] { xg::gradcheck(f, in, {.eps = 1e-6, .atol = -1}); }, {"gradcheck", "atol"});
  expect_error<xg::ValueError>([&] { xg::gradcheck(f, in, {.eps = 0}); }, {"gradcheck", "eps", "0"});
  expect_error<xg::ValueError>([&] { xg::gradcheck(f, in, {.eps = -1e-6}); }, {"gradcheck", "eps"});
  expect_error<xg::ValueError>([&] { xg::gradgradcheck(f, in, {.eps = nan}); }, {"gradgradcheck", "eps"});
  EXPECT_TRUE(xg::gradcheck(f, in, {.eps = 1e-6, .atol = 0, .rtol = 1e-3}).ok);
}

// ----------------------------------------------------------------------- re-entrant backward

// A custom backward that runs a backward pass of its own over a separate graph: allowed.
struct InnerPass : xg::Function<InnerPass> {
  static Tensor forward(xg::Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * 2.0;
  }
  static std::vector<Tensor> backward(xg::Context& ctx, const Tensor& g) {
    xg::GradModeGuard grad_on(true);
    Tensor xd = ctx.saved(0).detach().requires_grad_();
    (xd * xd).sum().backward();  // d/dx Σx² = 2x, on a graph of its own
    return {g * xd.grad()};
  }
};

// One whose inner pass runs over the outer graph, which the outer pass is still processing.
struct OuterGraphPass : xg::Function<OuterGraphPass> {
  static Tensor forward(xg::Context& ctx, const Tensor& x) { return InnerPass::forward(ctx, x); }
  static std::vector<Tensor> backward(xg::Context& ctx, const Tensor& g) {
    xg::GradModeGuard grad_on(true);
    Tensor x = ctx.saved(0);
    (x * x).sum().backward();
    return {g * 2.0};
  }
};

TEST(ReentrantBackward, SeparateGraphWorks) {
  Tensor x = xg::tensor({1.0, 2.0}).requires_grad_();
  InnerPass::apply(x * 1.0).sum().backward();
  expect_close(x.grad(), xg::tensor({2.0, 4.0}));
}

TEST(ReentrantBackward, OverTheRunningGraphIsAGraphError) {
  // Before: the inner pass reset the outer pass's bookkeeping, and x.grad stayed undefined
  // ("operation on an undefined tensor" at the next use). PyTorch refuses this graph too.
  Tensor x = xg::tensor({1.0, 2.0}).requires_grad_();
  Tensor y = OuterGraphPass::apply(x * 1.0).sum();
  expect_error<xg::GraphError>([&] { y.backward(); }, {"re-entrant", "mul"});
  // The graph is usable afterwards: nothing of the failed passes is left in it.
  Tensor x2 = xg::tensor({1.0, 2.0}).requires_grad_();
  (x2 * 3.0).sum().backward();
  expect_close(x2.grad(), xg::tensor({3.0, 3.0}));
}

// ----------------------------------------------------------------------- create_graph warning

TEST(CreateGraphWarning, BackwardWithCreateGraphOnLeavesWarnsOfTheCycle) {
  std::vector<std::string> warnings;
  xg::set_warning_handler([&](const std::string& m) { warnings.push_back(m); });
  // Once per thread: a fresh thread sees the first warning whatever ran before in this process.
  std::thread([&] {
    Tensor x = xg::tensor({1.0, 2.0}).requires_grad_();
    (x * x * x).sum().backward({}, /*retain_graph=*/false, /*create_graph=*/true);
    EXPECT_TRUE(x.grad().requires_grad());  // the .grad has a graph: the cycle exists
    x.zero_grad();                          // broken, as the warning advises (LSan: no leak)
    Tensor w = xg::tensor({1.0}).requires_grad_();
    (w * w).sum().backward({}, false, true);  // a second time on the thread: no second warning
    w.zero_grad();
  }).join();
  std::thread([&] {  // xg::grad leaves .grad alone: no warning
    Tensor x = xg::tensor({1.0, 2.0}).requires_grad_();
    auto g = xg::grad({(x * x * x).sum()}, {x}, {}, false, true);
    EXPECT_FALSE(x.grad().defined());
  }).join();
  xg::set_warning_handler({});
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("create_graph"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("reference cycle"), std::string::npos) << warnings[0];
}

}  // namespace
