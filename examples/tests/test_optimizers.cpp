// optimizers: from the same weights and batches, every optimizer lowers the loss; momentum beats
// plain SGD at the same learning rate; Adam reaches a good test accuracy.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(Optimizers, MomentumBeatsSgdAtTheSameRateAndAdamLearns) {
  const auto r = run_example("optimizers");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The same initial weights for all four: the same loss before the first step.
  const double initial = r.number("sgd_initial_loss");
  EXPECT_NEAR(initial, std::log(10.0), 0.3) << "about ln 10 for 10 classes at initialisation";
  for (const std::string opt : {"momentum", "nesterov", "adam"})
    EXPECT_DOUBLE_EQ(r.number(opt + "_initial_loss"), initial) << opt;

  // Every optimizer's training loss falls.
  for (const std::string opt : {"sgd", "momentum", "nesterov", "adam"})
    EXPECT_LT(r.number(opt + "_final_loss"), 0.95 * r.number(opt + "_initial_loss")) << opt;

  // The lesson: at the same lr and after the same steps, momentum's loss is far below SGD's.
  EXPECT_DOUBLE_EQ(r.number("sgd_lr"), 0.01);
  EXPECT_LT(r.number("momentum_final_loss"), 0.5 * r.number("sgd_final_loss"));
  EXPECT_LT(r.number("nesterov_final_loss"), 0.5 * r.number("sgd_final_loss"));
  EXPECT_GT(r.number("momentum_test_accuracy"), r.number("sgd_test_accuracy"));

  // Adam at its default rate learns the digits.
  EXPECT_GE(r.number("adam_test_accuracy"), 0.9);
  EXPECT_LT(r.number("adam_final_loss"), 0.5);

  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "optimizers.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "optimizers.gp"));
}

}  // namespace
}  // namespace xg::examples::testing
