// vanishing_gradients: the deep sigmoid net at the default initialisation passes its first layer
// a gradient at least 100× smaller than its last; ReLU with He initialisation keeps the two
// within 10× of each other.
#include <gtest/gtest.h>

#include <filesystem>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(VanishingGradients, SigmoidShrinksTheGradientAndReluWithHeKeepsIt) {
  const auto r = run_example("vanishing_gradients");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_LT(r.number("sigmoid_default.first_to_last_init"), 1e-2) << r.output;
  const double relu_he = r.number("relu_he.first_to_last_init");
  EXPECT_GT(relu_he, 0.1) << r.output;
  EXPECT_LT(relu_he, 10.0) << r.output;
  // tanh with Xavier, the other fix, also keeps the gradient's size.
  EXPECT_GT(r.number("tanh_xavier.first_to_last_init"), 0.1) << r.output;
  // The monitor's own verdict is printed with the table.
  EXPECT_NE(r.output.find("vanishing gradients flagged"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "vanishing_gradients.csv"));
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "vanishing_gradients_init.gp"));
}

}  // namespace
}  // namespace xg::examples::testing
