// custom_op: the hand-written backward passes gradcheck, matches the composed built-in version
// to rounding, and a swish network trained with it classifies the held-out tumours well.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(CustomOp, GradcheckPassesMatchesComposedOpsAndTrainsWell) {
  const auto r = run_example("custom_op");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.number("softplus_gradcheck_ok"), 1.0) << r.output;
  EXPECT_EQ(r.number("swish_gradcheck_ok"), 1.0) << r.output;
  for (const char* key : {"softplus_max_value_diff", "softplus_max_grad_diff", "swish_max_value_diff", "swish_max_grad_diff"})
    EXPECT_LE(r.number(key), 1e-12) << key;
  EXPECT_EQ(r.number("softplus_at_1000"), 1000.0);  // the stable form does not overflow
  EXPECT_GE(r.number("test_accuracy"), 0.95) << r.output;
  EXPECT_TRUE(std::filesystem::exists(r.out_dir / "custom_op.csv"));
}

}  // namespace
}  // namespace xg::examples::testing
