// The calls of API.md section `xg`, written as a user writes them: this file compiling is half
// the test (braced shapes and dims must have exactly one overload to go to).
#include <gtest/gtest.h>

#include <autodiff/autodiff.hpp>

namespace {

TEST(ApiContract, SectionXgCompilesAndRuns) {
  using namespace xg;
  static_assert(kFloat32 == Dtype::Float32 && kFloat64 == Dtype::Float64);
  Tensor undefined;
  EXPECT_FALSE(undefined.defined());

  Tensor a = zeros({2, 3}), b = ones({2, 3}, kFloat64), c = full({}, 0.5), r = rand({2, 3}), n = randn({2, 3});
  Tensor ar = arange(6), l0 = tensor(0.5), l1 = tensor({0.7}), l2 = tensor({{1.0}, {2.0}}), mixed = tensor({{1, 2.5}});
  manual_seed(0);
  xt::xarray<double> xa = b.to_xarray<double>();
  Tensor fx = from_xarray(xa), ff = from_xarray(xt::xarray<float>(xa));
  EXPECT_EQ(a.shape(), (Shape{2, 3}));
  EXPECT_EQ(l2.dim(), 2u);
  EXPECT_EQ(ar.numel(), 6u);
  EXPECT_EQ(b.dtype(), kFloat64);
  EXPECT_DOUBLE_EQ(c.item(), 0.5);
  Tensor cast = a.to(kFloat64);

  Tensor x = randn({2, 3}).requires_grad_();
  Tensor y = x.reshape({2, 3});
  Tensor s1 = sum(x), s2 = sum(x, {0, 1}, true), s3 = x.sum(), s4 = x.sum({1});
  Tensor m1 = mean(x), m2 = mean(x, {0}), m3 = x.mean({1}), m4 = x.mean({0, 1}, true);
  Tensor mx = max(x, 1), mx2 = x.max(0, true);
  Tensor arith = x + b - 2.0 * x / (1.0 + x * x) - (-x) + 3.0 - x * 2.0;
  Tensor math = pow(x, 2.0) + exp(x) + log(abs(x) + 1.0) + sqrt(abs(x)) + clamp(x, -1, 1);
  Tensor mm = maximum(x, a) + minimum(x, a) + where(gt(x, a), x, a) + x.where(gt(x, a), a);
  Tensor mat = matmul(x, x.t()) + x.matmul(transpose(x, 0, 1));
  Tensor shp = flatten(reshape(x, {3, 2}), 0) + x.flatten(0) + slice(x, 1, 0, 3).reshape({6});
  Tensor cat = concat({x, x}, 0) + concat({x, x}).sum() + index_select(x, 0, {1, 0, 1}).sum();
  Tensor acts = sigmoid(x) + tanh(x) + relu(x) + leaky_relu(x) + leaky_relu(x, 0.2) + elu(x) + elu(x, 0.5) +
                prelu(x, tensor({0.25})) + prelu(x, full({3}, 0.1)) + softmax(x) + softmax(x, 0) +
                log_softmax(x) + log_softmax(x, -1) + step(x) + identity(x);
  Tensor methods = x.sigmoid() + x.tanh() + x.relu() + x.leaky_relu() + x.elu() + x.prelu(tensor({0.25})) +
                   x.softmax() + x.log_softmax() + x.step() + x.identity() + x.pow(2) + x.exp() + x.abs() +
                   x.clamp(-1, 1) + x.maximum(a) + x.minimum(a) + x.slice(1, 0, 3) + x.index_select(1, {0, 1, 2});
  Tensor loss = (s1 + s2.sum() + s3 + s4.sum() + m1 + m2.sum() + m3.sum() + m4.sum() + mx.sum() + mx2.sum() +
                 arith.sum() + math.sum() + mm.sum() + mat.sum() + shp.sum() + cat.sum() + acts.sum() + methods.sum() +
                 y.sum());
  loss.backward();
  EXPECT_TRUE(x.grad().defined());
  EXPECT_TRUE(x.is_leaf());
  EXPECT_TRUE(x.requires_grad());
  x.zero_grad();
  Tensor d = x.detach();
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    x.add_(ones({2, 3})).add_(1.0).sub_(1.0).mul_(2.0).div_(2.0).clamp_(-5, 5);
    d.zero_().fill_(1.0);
    x.copy_(d);
  }
  (x * 2.0).sum().backward(Tensor(), /*retain_graph=*/false, /*create_graph=*/false);

  GradcheckResult res = gradcheck([](const std::vector<Tensor>& in) { return in[0].tanh(); }, {randn({3})},
                                  GradcheckOptions{.eps = 1e-6, .atol = 1e-5, .rtol = 1e-3});
  EXPECT_TRUE(res.ok);
  EXPECT_GE(res.max_abs_error, 0.0);
  EXPECT_GE(res.max_rel_error, 0.0);
  EXPECT_FALSE(res.report.empty());
  {
    DetectAnomalyGuard anomaly;
  }
  EXPECT_FALSE(to_dot(loss).empty());
  ShapeError se("m");
  ValueError ve("m");
  GraphError ge("m");
  (void)se, (void)ve, (void)ge, (void)cast, (void)fx, (void)ff, (void)l0, (void)l1, (void)mixed, (void)r, (void)n;
}

struct Softplus : xg::Function<Softplus> {
  static xg::Tensor forward(xg::Context& ctx, const xg::Tensor& x) {
    ctx.save_for_backward({x});
    ctx.set("beta", 1.0);
    return xg::log(1.0 + xg::exp(x));
  }
  static std::vector<xg::Tensor> backward(xg::Context& ctx, const xg::Tensor& g) {
    std::vector<xg::Tensor> saved = ctx.saved();
    EXPECT_DOUBLE_EQ(ctx.get<double>("beta"), 1.0);
    return {g * xg::sigmoid(saved[0])};
  }
};

TEST(ApiContract, FunctionExtensionPoint) {
  auto x = xg::randn({4}).requires_grad_();
  Softplus::apply(x).sum().backward();
  EXPECT_TRUE(xg::gradcheck([](const std::vector<xg::Tensor>& in) { return Softplus::apply(in[0]); },
                            {xg::randn({4})}).ok);
}

}  // namespace
