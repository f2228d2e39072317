// In-place ops, version counters, and anomaly mode.
#include <gtest/gtest.h>

#include <cmath>

#include <autodiff/autodiff.hpp>

namespace xg {
namespace {

TEST(InPlace, ArithmeticWithBroadcastingAndScalars) {
  auto x = ones({2, 3});
  x.add_(tensor({1.0, 2.0, 3.0})).mul_(2.0).sub_(1.0).div_(tensor({{1.0}, {2.0}}));
  EXPECT_EQ(x.to_vector(), (std::vector<double>{3, 5, 7, 1.5, 2.5, 3.5}));
  x.clamp_(2.0, 4.0);
  EXPECT_EQ(x.to_vector(), (std::vector<double>{3, 4, 4, 2, 2.5, 3.5}));
  x.zero_();
  EXPECT_EQ(x.to_vector(), std::vector<double>(6, 0.0));
  x.fill_(0.5).copy_(tensor({{1, 2, 3}, {4, 5, 6}}, kFloat64));
  EXPECT_EQ(x.to_vector(), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(x.dtype(), kFloat32);
}

TEST(InPlace, OperandMustBroadcastToTheTensor) {
  auto x = ones({3});
  EXPECT_THROW(x.add_(ones({2, 3})), ShapeError);
  EXPECT_THROW(x.copy_(ones({4})), ShapeError);
}

TEST(InPlace, OnALeafThatRequiresGradOnlyUnderNoGrad) {
  auto w = ones({2}).requires_grad_();
  try {
    w.add_(1.0);
    FAIL();
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("add_"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("NoGradGuard"), std::string::npos);
  }
  try {
    w.zero_();
    FAIL();
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("zero_"), std::string::npos) << e.what();
  }
  NoGradGuard guard;
  w.add_(1.0);
  EXPECT_EQ(w.to_vector(), (std::vector<double>{2, 2}));
}

TEST(InPlace, EditingASavedTensorIsAGraphErrorAtBackward) {
  auto w = ones({2}).requires_grad_();
  auto x = tensor({1.0, 2.0});
  auto y = (w * x).sum();  // mul saved x
  x.mul_(3.0);
  try {
    y.backward();
    FAIL();
  } catch (const GraphError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'mul'"), std::string::npos) << what;
    EXPECT_NE(what.find("[2]"), std::string::npos) << what;
    EXPECT_NE(what.find("version 0"), std::string::npos) << what;
    EXPECT_NE(what.find("version 1"), std::string::npos) << what;
  }
}

TEST(InPlace, EditingASavedOutputIsCaughtToo) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = exp(x);  // saves its output
  auto z = y.detach();  // shares storage with y
  z.mul_(2.0);
  EXPECT_THROW(y.sum().backward(), GraphError);
}

TEST(InPlace, EditsAfterBackwardAreFine) {
  auto w = ones({2}).requires_grad_();
  auto x = tensor({1.0, 2.0});
  (w * x).sum().backward();
  x.mul_(3.0);
  EXPECT_EQ(w.grad().to_vector(), (std::vector<double>{1, 2}));
}

TEST(Anomaly, ForwardNanNamesTheOp) {
  DetectAnomalyGuard guard;
  auto x = tensor({-1.0, 1.0}).requires_grad_();
  try {
    log(x - 2.0);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'log'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos) << e.what();
  }
}

TEST(Anomaly, BackwardNanNamesTheOp) {
  auto x = tensor({0.0}).requires_grad_();
  auto y = sqrt(x);  // forward finite (0), backward g / (2·0) = inf
  DetectAnomalyGuard guard;
  try {
    y.sum().backward();
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("'sqrt'"), std::string::npos) << e.what();
  }
}

TEST(Anomaly, OffByDefault) {
  EXPECT_FALSE(is_anomaly_enabled());
  EXPECT_TRUE(std::isnan(log(tensor({-1.0})).item()));
}

}  // namespace
}  // namespace xg
