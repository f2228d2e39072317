// normalization: the same network, optimizer and epochs fail on the raw breast-cancer features
// and succeed on standardised ones and with BatchNorm1d in front.
#include <gtest/gtest.h>

#include <filesystem>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(Normalization, StandardisingTheInputsMakesTheSameNetworkTrain) {
  const auto r = run_example("normalization");
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The features' scales are orders of magnitude apart (std ~0.0025 to ~560).
  EXPECT_GT(r.number("feature_std_ratio"), 1e4);

  // Standardised (statistics of the training split only): a good classifier, a low loss.
  EXPECT_GE(r.number("standardized_test_accuracy"), 0.95);
  EXPECT_LT(r.number("standardized_final_loss"), 0.1);
  EXPECT_LT(r.number("standardized_final_loss"), 0.2 * r.number("raw_final_loss"));

  // Raw: no better than always answering the majority class, the loss clearly higher.
  EXPECT_LE(r.number("raw_test_accuracy"), r.number("majority_class_accuracy") + 0.02);
  EXPECT_GT(r.number("raw_final_loss"), 0.3);

  // BatchNorm1d as the first layer repairs the raw inputs inside the model.
  EXPECT_GE(r.number("batchnorm_test_accuracy"), 0.92);
  EXPECT_LT(r.number("batchnorm_final_loss"), 0.2 * r.number("raw_final_loss"));
  EXPECT_GT(r.number("batchnorm_live_hidden_units"), 0.0);

  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "normalization.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "normalization.gp"));
}

}  // namespace
}  // namespace xg::examples::testing
