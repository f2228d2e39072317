// gradcheck must be able to fail: it is fed wrong derivatives and must say so, precisely.
#include <gtest/gtest.h>

#include <autodiff/autodiff.hpp>

namespace xg {
namespace {

// sin-free custom op: y = x², with a backward scaled by `factor` (1 = correct).
template <int Factor100>
struct Square : Function<Square<Factor100>> {
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return x * x;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) {
    return {g * 2.0 * ctx.saved(0) * (Factor100 / 100.0)};
  }
};

// A backward that forgets the chain rule's incoming gradient.
struct ForgetsGrad : Function<ForgetsGrad> {
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return exp(x);
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor&) { return {exp(ctx.saved(0))}; }
};

// Right derivative at every element but one.
struct WrongAtOneElement : Function<WrongAtOneElement> {
  static Tensor forward(Context&, const Tensor& x) { return x * 3.0; }
  static std::vector<Tensor> backward(Context&, const Tensor& g) {
    return {g * tensor({{3.0, 3.0}, {3.0, 3.5}}, g.dtype())};
  }
};

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

TEST(Gradcheck, PassesOnACorrectDerivative) {
  const auto r = gradcheck([](const auto& x) { return Square<100>::apply(x[0]); }, {randn({3, 2})});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_LT(r.max_abs_error, 1e-6);
}

TEST(Gradcheck, FailsOnAScaledDerivative) {
  const auto r = gradcheck([](const auto& x) { return Square<101>::apply(x[0]); }, {randn({3, 2})});
  EXPECT_FALSE(r.ok);
  EXPECT_GT(r.max_abs_error, 1e-4);
}

TEST(Gradcheck, FailsWhenTheIncomingGradientIsIgnored) {
  // Composed with another op, so the incoming gradient is not all ones.
  const auto r = gradcheck([](const auto& x) { return ForgetsGrad::apply(x[0]) * 3.0; }, {randn({4})});
  EXPECT_FALSE(r.ok) << r.report;
}

TEST(Gradcheck, ReportNamesTheWorstInputAndElement) {
  const auto r = gradcheck([](const auto& x) { return x[0] * 1.0 + WrongAtOneElement::apply(x[1]); },
                           {randn({2, 2}), randn({2, 2})});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.report.find("input 1"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("element [1, 1]"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("analytic 3.5"), std::string::npos) << r.report;
  EXPECT_NEAR(r.max_abs_error, 0.5, 1e-6);
}

TEST(Gradcheck, ChecksOnlyInputsThatRequireGrad) {
  // The wrong derivative is on input 1; with only input 0 requiring grad it goes unchecked.
  auto a = randn({2, 2}).requires_grad_();
  auto b = randn({2, 2});
  const auto r = gradcheck([](const auto& x) { return x[0] * 1.0 + WrongAtOneElement::apply(x[1]); }, {a, b});
  EXPECT_TRUE(r.ok) << r.report;
}

TEST(Gradcheck, PromotesFloat32InputsAndLeavesThemUntouched) {
  auto x = tensor({0.5, -1.0, 2.0});
  const auto before = x.to_vector();
  const auto r = gradcheck([](const auto& in) {
    EXPECT_EQ(in[0].dtype(), kFloat64);
    return tanh(in[0]);
  }, {x});
  EXPECT_TRUE(r.ok) << r.report;
  EXPECT_EQ(x.dtype(), kFloat32);
  EXPECT_EQ(x.to_vector(), before);
  EXPECT_FALSE(x.grad().defined());
}

TEST(Gradcheck, LargeOutputsAreProjectedAndStillCaught) {
  // 400 outputs > 256: the projected check must still see a wrong derivative.
  const Fn good = [](const auto& x) { return Square<100>::apply(x[0]); };
  const Fn bad = [](const auto& x) { return Square<102>::apply(x[0]); };
  EXPECT_TRUE(gradcheck(good, {randn({20, 20})}).ok);
  const auto r = gradcheck(bad, {randn({20, 20})});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.report.find("projected"), std::string::npos) << r.report;
}

TEST(Gradcheck, GradgradcheckFailsOnAWrongSecondDerivative) {
  // First derivative right, but written with a detached input: its own derivative is lost.
  struct DetachedBackward : Function<DetachedBackward> {
    static Tensor forward(Context& ctx, const Tensor& x) {
      ctx.save_for_backward({x});
      return x * x * x;
    }
    static std::vector<Tensor> backward(Context& ctx, const Tensor& g) {
      return {g * 3.0 * ctx.saved(0).detach() * ctx.saved(0).detach()};
    }
  };
  const Fn f = [](const auto& x) { return DetachedBackward::apply(x[0]); };
  EXPECT_TRUE(gradcheck(f, {randn({3})}).ok);
  EXPECT_FALSE(gradgradcheck(f, {randn({3})}).ok);
}

TEST(Gradcheck, NanIsAFailure) {
  struct NanBackward : Function<NanBackward> {
    static Tensor forward(Context&, const Tensor& x) { return x * 2.0; }
    static std::vector<Tensor> backward(Context&, const Tensor& g) { return {g * NAN}; }
  };
  EXPECT_FALSE(gradcheck([](const auto& x) { return NanBackward::apply(x[0]); }, {randn({2})}).ok);
}

}  // namespace
}  // namespace xg
