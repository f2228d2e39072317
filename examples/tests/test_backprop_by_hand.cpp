// backprop_by_hand: the hand-derived chain-rule products equal the engine's gradients, one step
// gives the course's w2 ≈ 0.42717, and the error goes down.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(BackpropByHand, HandAndEngineGradientsAgreeAndOneStepLowersTheError) {
  const auto r = run_example("backprop_by_hand");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string p : {"w1", "b1", "w2", "b2"}) {
    const double hand = r.number("hand_dE_d" + p), engine = r.number("engine_dE_d" + p);
    EXPECT_NEAR(hand, engine, 1e-12) << p;
    EXPECT_NE(engine, 0.0) << p;
  }
  // The course's numbers, recomputed here: a1 = σ(0.415), a2 = σ(0.45·a1 + 0.65).
  const double a1 = 1 / (1 + std::exp(-(0.15 * 0.1 + 0.4)));
  const double a2 = 1 / (1 + std::exp(-(0.45 * a1 + 0.65)));
  EXPECT_NEAR(r.number("engine_dE_dw2"), (a2 - 0.25) * a2 * (1 - a2) * a1, 1e-12);
  EXPECT_NEAR(r.number("engine_dE_dw1"), (a2 - 0.25) * a2 * (1 - a2) * 0.45 * a1 * (1 - a1) * 0.1, 1e-12);
  EXPECT_NEAR(r.number("w2_after_step"), 0.42717, 5e-6);
  EXPECT_NEAR(r.number("error_before"), 0.5 * (0.25 - a2) * (0.25 - a2), 1e-12);
  EXPECT_LT(r.number("error_after"), r.number("error_before"));
  EXPECT_NE(r.output.find("dE/da2 * da2/dz2 * dz2/da1 * da1/dz1 * dz1/dw1"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace xg::examples::testing
