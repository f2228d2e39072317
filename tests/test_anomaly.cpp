// Anomaly mode names the forward op that produced a NaN/Inf and the line of the user's code
// that called it — through free functions, operators, methods, modules and losses — with
// statistics of the op's inputs.
#include <gtest/gtest.h>

#include <string>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>

namespace xg {
namespace {

// The message of the ValueError `f` throws ("" when it throws nothing).
template <class F>
std::string anomaly_message(F&& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "";
}

std::string here(int line) { return std::string("test_anomaly.cpp:") + std::to_string(line); }

TEST(AnomalySite, ForwardNanNamesOpLineAndInputStatistics) {
  DetectAnomalyGuard anomaly;
  const auto x = tensor({-1.0, 4.0, 9.0}).requires_grad_();
  int line = 0;
  const std::string m = anomaly_message([&] {
    line = __LINE__; auto y = log(x - 2.0);
  });
  EXPECT_NE(m.find("op 'log'"), std::string::npos) << m;
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;
  EXPECT_NE(m.find("NaN"), std::string::npos) << m;
  EXPECT_NE(m.find("input 0: shape [3], float32, min -3, max 7, 0 NaN, 0 Inf"), std::string::npos) << m;
}

TEST(AnomalySite, OperatorsCarryTheirExpressionsLine) {
  DetectAnomalyGuard anomaly;
  const auto a = tensor({1.0, 2.0}), b = tensor({0.0, 1.0});
  int line = 0;
  const std::string m = anomaly_message([&] {
    auto c = a + b;
    line = __LINE__; auto d = c / b;  // 1 / 0 = inf
  });
  EXPECT_NE(m.find("op 'div'"), std::string::npos) << m;
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;
  EXPECT_NE(m.find("Inf"), std::string::npos) << m;
  // A scalar on the left, and unary minus, too.
  const auto z = tensor({0.0});
  const std::string scalar = anomaly_message([&] {
    line = __LINE__; auto r = 1.0 / z;
  });
  EXPECT_NE(scalar.find(here(line)), std::string::npos) << scalar;
}

TEST(AnomalySite, MethodsModulesAndLossesReportTheCallersLine) {
  DetectAnomalyGuard anomaly;
  int line = 0;
  const auto x = tensor({-4.0});
  std::string m = anomaly_message([&] {
    line = __LINE__; auto y = x.sqrt();
  });
  EXPECT_NE(m.find("op 'sqrt'"), std::string::npos) << m;
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;

  // Inside a module, the line that called the model (the ops run in nn/linear.cpp).
  manual_seed(0);
  nn::Sequential model(nn::Linear(2, 2), nn::Sigmoid());
  const auto bad = tensor({{std::nan(""), 1.0}});
  m = anomaly_message([&] {
    line = __LINE__; auto out = model(bad);
  });
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;
  EXPECT_NE(m.find("1 NaN"), std::string::npos) << m;

  // A loss whose square overflows float32: the op inside mse_loss, the caller's line.
  const auto huge = tensor({1e30}), t = tensor({1.0});
  m = anomaly_message([&] {
    line = __LINE__; auto l = nn::functional::mse_loss(huge, t);
  });
  EXPECT_NE(m.find("Inf"), std::string::npos) << m;
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;
}

TEST(AnomalySite, BackwardAnomalyNamesTheForwardOpsLine) {
  const auto x = tensor({0.0}).requires_grad_();
  DetectAnomalyGuard anomaly;
  const int line = __LINE__; auto y = sqrt(x);  // forward 0; backward g / (2·√0) = inf
  const std::string m = anomaly_message([&] { y.sum().backward(); });
  EXPECT_NE(m.find("the backward of op 'sqrt'"), std::string::npos) << m;
  EXPECT_NE(m.find(here(line)), std::string::npos) << m;
}

TEST(AnomalySite, NotRecordedWhenAnomalyModeIsOff) {
  const auto x = tensor({1.0}).requires_grad_();
  auto y = exp(x);
  EXPECT_FALSE(y.grad_fn()->site().known());
  {
    DetectAnomalyGuard anomaly;
    auto z = exp(x);
    ASSERT_TRUE(z.grad_fn()->site().known());
    EXPECT_EQ(z.grad_fn()->site().line(), static_cast<unsigned>(__LINE__ - 2));
    EXPECT_FALSE(current_site().known());  // the scope ended with the op
  }
  EXPECT_TRUE(std::isnan(log(tensor({-1.0})).item()));  // off: NaN flows, as in PyTorch
}

}  // namespace
}  // namespace xg
