// chain_rule_paths: dE/dw1 is the sum of its two path products, exactly what the engine
// computes; both paths contribute; the exported graph names the ops, parameters and neurons and
// shows O11 feeding two ops.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "run_example.hpp"

namespace xg::examples::testing {
namespace {

TEST(ChainRulePaths, GradientIsTheSumOverPathsAndTheGraphShowsTheFork) {
  const auto r = run_example("chain_rule_paths");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const double via_O21 = r.number("path_via_O21"), via_O22 = r.number("path_via_O22");
  EXPECT_NE(via_O21, 0.0);
  EXPECT_NE(via_O22, 0.0);
  EXPECT_NEAR(r.number("path_sum_dE_dw1"), via_O21 + via_O22, 1e-15);
  EXPECT_NEAR(r.number("path_sum_dE_dw1"), r.number("engine_dE_dw1"), 1e-12);
  // neither path alone is the gradient
  EXPECT_GT(std::abs(r.number("engine_dE_dw1") - via_O21), 1e-6);
  EXPECT_GT(std::abs(r.number("engine_dE_dw1") - via_O22), 1e-6);
  EXPECT_NEAR(r.number("path_sum_dE_db1"), r.number("engine_dE_db1"), 1e-12);
  EXPECT_LT(r.number("max_abs_diff_hand_engine"), 1e-12);

  const auto dot_path = r.out_dir / "chain_rule_paths.dot";
  ASSERT_TRUE(std::filesystem::exists(dot_path));
  std::stringstream buffer;
  buffer << std::ifstream(dot_path).rdbuf();
  const std::string dot = buffer.str();
  EXPECT_EQ(dot.rfind("digraph", 0), 0u);
  for (const char* text : {"sigmoid", "mul", "add", "pow", "w1\\n[]", "w5\\n[]", "O11 = sigmoid", "O21 = sigmoid",
                           "O22 = sigmoid", "O31 = sigmoid", "grad "})
    EXPECT_NE(dot.find(text), std::string::npos) << text << "\n" << dot;
  // O11's box has two out-edges (to w2·O11 and w3·O11)
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dot, m, std::regex(R"re(\n  (\w+) \[[^\n]*label="O11 = sigmoid)re"))) << dot;
  const std::string o11 = m[1];
  std::size_t out_edges = 0;
  for (std::size_t at = dot.find("  " + o11 + " -> "); at != std::string::npos; at = dot.find("  " + o11 + " -> ", at + 1))
    ++out_edges;
  EXPECT_EQ(out_edges, 2u);
  if (r.number("png_rendered") == 1.0) {
    EXPECT_TRUE(std::filesystem::exists(r.out_dir / "chain_rule_paths.png"));
  }
}

}  // namespace
}  // namespace xg::examples::testing
