// gradient_descent: w converges to 2 at lr 0.4, diverges at 2.2, crawls at 0.02.
#include <gtest/gtest.h>

#include <cmath>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(GradientDescent, ConvergesToTwoAndShowsBadLearningRates) {
  const auto r = run_example("gradient_descent");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // w_k − 2 = (0.2 − 2) · 0.6^k
  EXPECT_NEAR(r.number("w_after_1"), 0.92, 1e-12);
  const double k = r.number("iterations");
  EXPECT_NEAR(r.number("final_w"), 2.0 - 1.8 * std::pow(0.6, k), 1e-9);
  EXPECT_NEAR(r.number("final_w"), 2.0, 1e-3);
  EXPECT_GT(r.number("large_lr_final_cost"), 100.0);  // |w − 2| grows 1.2× per step
  EXPECT_LT(r.number("small_lr_final_w"), 1.5);       // still far from 2
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "gradient_descent.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "gradient_descent.gp"));
}

}  // namespace
}  // namespace xg::examples::testing
