// digits, the README's demo: at least 97% test accuracy, the loss falls, the diagnostics table
// is printed, and the checkpoint it writes loads back into the same architecture.
#include <gtest/gtest.h>

#include <filesystem>

#include <nn/nn.hpp>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(Digits, ReachesNinetySevenPercentAndPrintsTheGradientFlow) {
  const auto r = run_example("digits");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_GE(r.number("test_accuracy"), 0.97) << r.output;
  EXPECT_LT(r.number("last_train_loss"), 0.1 * r.number("first_train_loss"));
  EXPECT_NE(r.output.find("epoch 30/30"), std::string::npos);
  EXPECT_NE(r.output.find("grad norm"), std::string::npos);
  EXPECT_NE(r.output.find("update/weight"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "digits_training.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "digits_diagnostics.csv"));

  nn::Sequential model(nn::Linear(64, 128), nn::ReLU(), nn::Linear(128, 64), nn::ReLU(), nn::Linear(64, 10));
  EXPECT_NO_THROW(nn::load(model, (r.out_dir / "digits.xgc").string()));
}

}  // namespace
}  // namespace xg::examples::testing
