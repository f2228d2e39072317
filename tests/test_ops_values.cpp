// Forward values and conventions of the ops (gradients are the registry sweep's job).
#include <gtest/gtest.h>

#include <cmath>

#include <autodiff/autodiff.hpp>
#include <xtensor-blas/xlinalg.hpp>

namespace xg {
namespace {

std::vector<double> v(const Tensor& t) { return t.to_vector(); }

TEST(Ops, BroadcastingFollowsPyTorch) {
  auto a = tensor({{1.0}, {2.0}});   // {2, 1}
  auto b = tensor({10.0, 20.0, 30.0});  // {3}
  auto c = a + b;
  EXPECT_EQ(c.shape(), (Shape{2, 3}));
  EXPECT_EQ(v(c), (std::vector<double>{11, 21, 31, 12, 22, 32}));
  EXPECT_EQ((zeros({2, 1, 3}) + zeros({4, 1})).shape(), (Shape{2, 4, 3}));
  EXPECT_EQ((2.0 - tensor({1.0})).item(), 1.0);
  EXPECT_EQ((tensor({1.0}) / 4.0).item(), 0.25);
  EXPECT_EQ((tensor({3.0}, kFloat64) * 2.0).dtype(), kFloat64);  // scalars take the tensor's dtype
  auto m = tensor({1.0, 2.0});
  EXPECT_EQ(v(m.add(1).sub(0.5).mul(2).div(4)), (std::vector<double>{0.75, 1.25}));
  EXPECT_EQ(v(m.mul(m).add(m)), (std::vector<double>{2, 6}));
}

TEST(Ops, MatmulMatchesXtensorBlas) {
  manual_seed(3);
  for (auto [m, k, n] : {std::tuple{3, 4, 5}, {1, 7, 1}, {16, 8, 32}}) {
    auto a = randn({std::size_t(m), std::size_t(k)}, kFloat64), b = randn({std::size_t(k), std::size_t(n)}, kFloat64);
    xt::xarray<double> ref = xt::linalg::dot(a.to_xarray<double>(), b.to_xarray<double>());
    auto got = matmul(a, b).to_xarray<double>();
    EXPECT_TRUE(xt::allclose(got, ref, 1e-12, 1e-12));
    auto got_t = matmul_t(a.t(), b.t(), true, true).to_xarray<double>();
    EXPECT_TRUE(xt::allclose(got_t, ref, 1e-12, 1e-12));
  }
}

TEST(Ops, MatmulShapes) {
  EXPECT_EQ(matmul(ones({3}), ones({3})).shape(), Shape{});
  EXPECT_DOUBLE_EQ(matmul(ones({3}), ones({3})).item(), 3.0);
  EXPECT_EQ(matmul(ones({3}), ones({3, 2})).shape(), Shape{2});
  EXPECT_EQ(matmul(ones({2, 3}), ones({3})).shape(), Shape{2});
  EXPECT_EQ(matmul(ones({5, 2, 3}), ones({5, 3, 4})).shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(matmul(ones({5, 2, 3}), ones({3, 4})).shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(matmul(ones({1, 2, 3}), ones({5, 3, 4})).shape(), (Shape{5, 2, 4}));
  EXPECT_EQ(v(matmul(ones({2, 0}), ones({0, 3}))), std::vector<double>(6, 0.0));
}

TEST(Ops, ReductionsWithKeepdimAndNegativeDims) {
  auto x = arange(24, kFloat64).reshape({2, 3, 4});
  EXPECT_DOUBLE_EQ(sum(x).item(), 276);
  EXPECT_EQ(sum(x, {0}).shape(), (Shape{3, 4}));
  EXPECT_EQ(sum(x, {-1}, true).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(v(sum(x, {0, 2})), (std::vector<double>{60, 92, 124}));
  EXPECT_EQ(v(sum(x, {1})), (std::vector<double>{12, 15, 18, 21, 48, 51, 54, 57}));
  EXPECT_EQ(v(mean(x, {2})), (std::vector<double>{1.5, 5.5, 9.5, 13.5, 17.5, 21.5}));
  EXPECT_DOUBLE_EQ(x.mean().item(), 11.5);
  EXPECT_EQ(v(max(x, 1)), (std::vector<double>{8, 9, 10, 11, 20, 21, 22, 23}));
  EXPECT_EQ(max(x, -1, true).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(v(argmax(tensor({{1.0, 5.0, 5.0}, {7.0, 0.0, 1.0}}), 1)), (std::vector<double>{1, 0}));
  EXPECT_DOUBLE_EQ(sum(tensor(2.5), {0}).item(), 2.5);  // a 0-D tensor accepts dim 0 / -1, as PyTorch
  EXPECT_EQ(mean(tensor(2.5), {-1}, true).shape(), Shape{});
  EXPECT_THROW(sum(tensor(2.5), {1}), ShapeError);
}

TEST(Ops, MaxSendsTheGradientToTheFirstMaximum) {
  auto x = tensor({{1.0, 3.0, 3.0}}).requires_grad_();
  max(x, 1).sum().backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{0, 1, 0}));
}

TEST(Ops, MaximumSplitsTiesInHalf) {
  auto a = tensor({1.0, 2.0, 3.0}).requires_grad_(), b = tensor({2.0, 2.0, 1.0}).requires_grad_();
  maximum(a, b).sum().backward();
  EXPECT_EQ(v(a.grad()), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(v(b.grad()), (std::vector<double>{1, 0.5, 0}));
}

TEST(Ops, ShapeOps) {
  auto x = arange(6).reshape({2, 3});
  EXPECT_EQ(v(x.t()), (std::vector<double>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(v(transpose(arange(8).reshape({2, 2, 2}), 0, 2)), (std::vector<double>{0, 4, 2, 6, 1, 5, 3, 7}));
  EXPECT_EQ(flatten(zeros({2, 3, 4})).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(zeros({2, 3, 4}), 0).shape(), (Shape{24}));
  EXPECT_EQ(v(slice(x, 1, 1, 3)), (std::vector<double>{1, 2, 4, 5}));
  EXPECT_EQ(v(concat({x, x}, 0)), (std::vector<double>{0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(v(concat({x, x}, -1)), (std::vector<double>{0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5}));
  EXPECT_EQ(v(index_select(x, 1, {2, 0})), (std::vector<double>{2, 0, 5, 3}));
  EXPECT_EQ(v(index_add(ones({3, 1}), 0, {1, 1, 0}, 2)), (std::vector<double>{1, 2}));
  EXPECT_EQ(v(expand(tensor({{1.0}, {2.0}}), {2, 3})), (std::vector<double>{1, 1, 1, 2, 2, 2}));
}

TEST(Ops, ActivationConventions) {
  auto x = tensor({-2.0, 0.0, 3.0}, kFloat64).requires_grad_();
  relu(x).sum().backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{0, 0, 1}));  // relu'(0) = 0
  x.zero_grad();
  step(x).sum().backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{0, 0, 0}));  // step: zero gradient
  EXPECT_EQ(v(step(x)), (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(v(leaky_relu(x, 0.1)), (std::vector<double>{-0.2, 0, 3}));
  EXPECT_NEAR(v(elu(x))[0], std::exp(-2.0) - 1, 1e-6);
  EXPECT_EQ(v(prelu(x, tensor({0.25}, kFloat64))), (std::vector<double>{-0.5, 0, 3}));
  EXPECT_EQ(identity(x).impl(), x.impl());
  x.zero_grad();
  abs(x).sum().backward();
  EXPECT_EQ(v(x.grad()), (std::vector<double>{-1, 0, 1}));  // abs'(0) = 0
}

TEST(Ops, SoftmaxRowsSumToOne) {
  auto s = softmax(tensor({{1.0, 2.0, 3.0}, {-1.0, 0.0, 1000.0}}));
  auto rows = sum(s, {1}).to_vector();
  EXPECT_NEAR(rows[0], 1, 1e-6);
  EXPECT_NEAR(rows[1], 1, 1e-6);
  auto ls = log_softmax(tensor({0.0, 0.0}));
  EXPECT_NEAR(ls.to_vector()[0], std::log(0.5), 1e-6);
}

// Values and gradients stay finite at ±1000 in float32 (composed forms overflow here).
TEST(Ops, ActivationsAreFiniteAtPlusMinus1000InFloat32) {
  using Act = Tensor (*)(const Tensor&);
  const std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> acts = {
      {"sigmoid", [](const Tensor& t) { return sigmoid(t); }},
      {"tanh", [](const Tensor& t) { return tanh(t); }},
      {"relu", [](const Tensor& t) { return relu(t); }},
      {"leaky_relu", [](const Tensor& t) { return leaky_relu(t); }},
      {"elu", [](const Tensor& t) { return elu(t); }},
      {"prelu", [](const Tensor& t) { return prelu(t, tensor({0.25})); }},
      {"softmax", [](const Tensor& t) { return softmax(t); }},
      {"log_softmax", [](const Tensor& t) { return log_softmax(t); }},
      {"step", [](const Tensor& t) { return step(t); }},
      {"identity", [](const Tensor& t) { return identity(t) * 1.0; }},
  };
  (void)sizeof(Act);
  for (const auto& [name, f] : acts) {
    auto x = tensor({-1000.0, -30.0, 0.5, 30.0, 1000.0}).requires_grad_();
    auto y = f(x);
    (y * tensor({1.0, -2.0, 3.0, -4.0, 5.0})).sum().backward();
    for (double e : y.to_vector()) EXPECT_TRUE(std::isfinite(e)) << name << " value";
    for (double e : x.grad().to_vector()) EXPECT_TRUE(std::isfinite(e)) << name << " gradient";
  }
  EXPECT_EQ(sigmoid(tensor({-1000.0, 1000.0})).to_vector(), (std::vector<double>{0, 1}));
}

TEST(Ops, FusedActivationsAgreeWithTheirComposedTwins) {
  auto x = tensor({{-2.0, -0.5, 0.3}, {0.7, 1.5, 2.5}}, kFloat64);
  auto close = [](const Tensor& a, const Tensor& b) {
    const auto va = a.to_vector(), vb = b.to_vector();
    for (std::size_t i = 0; i < va.size(); ++i) EXPECT_NEAR(va[i], vb[i], 1e-12);
  };
  close(sigmoid(x), 1.0 / (1.0 + exp(-x)));
  close(tanh(x), (exp(x) - exp(-x)) / (exp(x) + exp(-x)));
  close(relu(x), maximum(x, zeros({}, kFloat64)));
  close(softmax(x), exp(x) / sum(exp(x), {-1}, true));
  close(log_softmax(x), x - log(sum(exp(x), {-1}, true)));
  // and their gradients
  auto check_grads = [&](auto fused, auto composed) {
    auto a = x.clone().detach().requires_grad_(), b = x.clone().detach().requires_grad_();
    auto w = tensor({{1.0, 2.0, -1.0}, {0.5, -3.0, 2.0}}, kFloat64);
    (fused(a) * w).sum().backward();
    (composed(b) * w).sum().backward();
    close(a.grad(), b.grad());
  };
  check_grads([](const Tensor& t) { return sigmoid(t); }, [](const Tensor& t) { return 1.0 / (1.0 + exp(-t)); });
  check_grads([](const Tensor& t) { return tanh(t); },
              [](const Tensor& t) { return (exp(t) - exp(-t)) / (exp(t) + exp(-t)); });
  check_grads([](const Tensor& t) { return softmax(t); },
              [](const Tensor& t) { return exp(t) / sum(exp(t), {-1}, true); });
  check_grads([](const Tensor& t) { return log_softmax(t); },
              [](const Tensor& t) { return t - log(sum(exp(t), {-1}, true)); });
}

TEST(Ops, ComparisonsAndWhere) {
  auto a = tensor({1.0, 2.0, 3.0}), b = tensor({2.0, 2.0, 2.0});
  EXPECT_EQ(v(gt(a, b)), (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(v(ge(a, b)), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(v(lt(a, b)), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(v(le(a, b)), (std::vector<double>{1, 1, 0}));
  EXPECT_EQ(v(eq(a, b)), (std::vector<double>{0, 1, 0}));
  EXPECT_EQ(v(where(gt(a, b), a, b)), (std::vector<double>{2, 2, 3}));
  EXPECT_EQ(v(a.where(lt(a, b), zeros({}))), (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(v(isfinite(tensor({1.0, INFINITY, NAN}))), (std::vector<double>{1, 0, 0}));
}

TEST(Ops, MathValues) {
  auto x = tensor({0.25, 4.0}, kFloat64);
  EXPECT_EQ(v(sqrt(x)), (std::vector<double>{0.5, 2}));
  EXPECT_EQ(v(pow(x, 2)), (std::vector<double>{0.0625, 16}));
  EXPECT_EQ(v(clamp(tensor({-5.0, 0.5, 5.0}), -1, 1)), (std::vector<double>{-1, 0.5, 1}));
  EXPECT_NEAR(v(log(exp(x)))[1], 4.0, 1e-12);
  EXPECT_EQ(v(minimum(x, tensor(1.0, kFloat64))), (std::vector<double>{0.25, 1}));
}

TEST(Ops, EmptyTensorsFlowThrough) {
  auto x = zeros({0, 3}).requires_grad_();
  auto y = (relu(x * 2.0 + 1.0).sum({1}));
  EXPECT_EQ(y.shape(), Shape{0});
  EXPECT_DOUBLE_EQ(sum(x).item(), 0.0);
  sum(x).backward();
  EXPECT_EQ(x.grad().shape(), (Shape{0, 3}));
}

}  // namespace
}  // namespace xg

extern "C" int openblas_get_num_threads();

namespace xg {
namespace {

TEST(Blas, DefaultsToOneThreadAndCanBeChanged) {
  if (std::getenv("OPENBLAS_NUM_THREADS") || std::getenv("OMP_NUM_THREADS")) GTEST_SKIP() << "set by the environment";
  matmul(ones({2, 2}), ones({2, 2}));
  EXPECT_EQ(openblas_get_num_threads(), 1);
  set_blas_threads(2);
  EXPECT_EQ(openblas_get_num_threads(), 2);
  set_blas_threads(1);
}

}  // namespace
}  // namespace xg
