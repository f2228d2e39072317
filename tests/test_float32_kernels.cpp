// The float32 fast paths (vectorised sigmoid, tanh and exponentials in autodiff/ops/vector_math,
// the cross-entropy that keeps its softmax for backward) against the same ops computed in float64
// by the scalar formulas. The gradient sweep runs in float64, so these paths need their own check.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/functional.hpp>

namespace xg {
namespace {

/// 1,003 points over [−100, 100] (not a multiple of any SIMD width, so the scalar tail runs too),
/// then the edges: zeros, the overflow thresholds of e^x in float32, infinities.
std::vector<double> activation_inputs() {
  std::vector<double> xs;
  for (int i = 0; i <= 1002; ++i) xs.push_back(-100.0 + 200.0 * i / 1002.0);
  for (double e : {0.0, -0.0, 1e-8, -1e-8, 88.7, -88.7, 89.0, -89.0, -103.0, -104.0, 1e30, -1e30,
                   std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()})
    xs.push_back(e);
  return xs;
}

/// |got − want| within 4 float32 ulps of want, or within FLT_MIN (the fast paths may flush
/// results below the smallest normal float to zero).
void expect_close_f32(const std::vector<double>& got, const std::vector<double>& want, const std::vector<double>& xs,
                      const char* op) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double tol = std::max(4.0 * FLT_EPSILON * std::abs(want[i]), static_cast<double>(FLT_MIN));
    EXPECT_NEAR(got[i], want[i], tol) << op << "(" << xs[i] << ") at index " << i;
  }
}

TEST(Float32Kernels, SigmoidMatchesFloat64) {
  const auto xs = activation_inputs();
  const Tensor x32 = from_vector(xs, {xs.size()}, kFloat32);
  const Tensor x64 = x32.to(kFloat64);  // the same (rounded) inputs
  expect_close_f32(sigmoid(x32).to_vector(), sigmoid(x64).to_vector(), x64.to_vector(), "sigmoid");
}

TEST(Float32Kernels, TanhMatchesFloat64) {
  const auto xs = activation_inputs();
  const Tensor x32 = from_vector(xs, {xs.size()}, kFloat32);
  const Tensor x64 = x32.to(kFloat64);
  expect_close_f32(tanh(x32).to_vector(), tanh(x64).to_vector(), x64.to_vector(), "tanh");
}

TEST(Float32Kernels, NaNStaysNaNInVectorAndTailPositions) {
  // 19 elements: a NaN in the first SIMD batch and one in the scalar tail, whatever the width.
  std::vector<double> xs(19, 0.5);
  xs[1] = xs[18] = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = from_vector(xs, {xs.size()}, kFloat32);
  for (const Tensor& y : {sigmoid(x), tanh(x)}) {
    const auto v = y.to_vector();
    EXPECT_TRUE(std::isnan(v[1]));
    EXPECT_TRUE(std::isnan(v[18]));
    for (std::size_t i = 2; i < 18; ++i) EXPECT_FALSE(std::isnan(v[i])) << i;
  }
}

TEST(Float32Kernels, CrossEntropyLossAndGradientMatchFloat64) {
  manual_seed(11);
  // 10 classes (a SIMD batch plus a tail), logits up to ±1000 in the last rows: the shift by the
  // row maximum must keep every exponential finite.
  const std::size_t n = 7, k = 10;
  Tensor logits = randn({n, k}, kFloat32) * 3.0;
  std::vector<double> values = logits.to_vector();
  for (std::size_t j = 0; j < k; ++j) {
    values[5 * k + j] = (j % 2 ? 1000.0 : -1000.0) + static_cast<double>(j);
    values[6 * k + j] = -500.0 - static_cast<double>(j);
  }
  const std::vector<double> labels{0, 3, 9, 1, 7, 4, 2};
  Tensor x32 = from_vector(values, {n, k}, kFloat32).requires_grad_(true);
  Tensor x64 = from_vector(values, {n, k}, kFloat64).requires_grad_(true);
  const Tensor target = from_vector(labels, {n}, kFloat32);
  Tensor loss32 = nn::functional::cross_entropy(x32, target, nn::functional::Reduction::Sum);
  Tensor loss64 = nn::functional::cross_entropy(x64, target.to(kFloat64), nn::functional::Reduction::Sum);
  loss32.backward();
  loss64.backward();
  EXPECT_TRUE(std::isfinite(loss32.item()));
  EXPECT_NEAR(loss32.item(), loss64.item(), 1e-5 * std::abs(loss64.item()));
  const auto g32 = x32.grad().to_vector(), g64 = x64.grad().to_vector();
  for (std::size_t i = 0; i < g32.size(); ++i) EXPECT_NEAR(g32[i], g64[i], 1e-6) << "logit " << i;
}

}  // namespace
}  // namespace xg
