// The random-graph gradient fuzzer in the suite: 2,000 seeded graphs over every primitive (but
// the float32 cast, see primitive_names_not_fuzzed), each gradchecked in float64 (every tenth
// gradgradchecked too); the fuzzer itself must catch a wrong derivative.
#include <gtest/gtest.h>

#include <set>

#include <autodiff/derivatives.hpp>

#include "graph_fuzzer.hpp"

namespace xg::fuzz {
namespace {

constexpr std::uint64_t kSeed = 20261121;
constexpr std::size_t kGraphs = 2000, kShards = 8;

// Eight shards of 250 graphs, so ctest runs them in parallel and a failure names its range.
class GraphFuzzer : public ::testing::TestWithParam<std::size_t> {};


TEST_P(GraphFuzzer, RandomGraphsPassGradcheck) {
  const std::size_t per = kGraphs / kShards, first = GetParam() * per;
  std::size_t second_order = 0;
  for (std::size_t k = first; k < first + per; ++k) {
    const Program program = generate(kSeed, k);
    const CheckResult r = check(program, k % 10 == 0);
    ASSERT_TRUE(r.ok) << r.report;
    second_order += r.second_order;
  }
  EXPECT_EQ(second_order, per / 10);
}

INSTANTIATE_TEST_SUITE_P(Shards, GraphFuzzer, ::testing::Range<std::size_t>(0, kShards));

TEST(GraphFuzzerCoverage, EveryPrimitiveAndBothCustomOpsAppear) {
  std::set<std::string> seen;
  for (std::size_t k = 0; k < 600; ++k) {
    const auto r = check(generate(kSeed, k));
    seen.insert(r.ops.begin(), r.ops.end());
  }
  const auto skipped = primitive_names_not_fuzzed();
  for (const auto& rule : all_rules()) {
    if (skipped.count(rule.name)) continue;
    EXPECT_TRUE(seen.count(rule.name)) << "the fuzzer never produced primitive '" << rule.name << "'";
  }
  EXPECT_TRUE(seen.count("fuzz_softplus"));
  EXPECT_TRUE(seen.count("fuzz_mul_add_square"));
}

TEST(GraphFuzzerCoverage, ProgramsAreDeterministicAndReplayable) {
  const Program a = generate(kSeed, 17), b = generate(kSeed, 17), c = generate(kSeed, 18);
  EXPECT_EQ(a.to_string(true), b.to_string(true));
  EXPECT_NE(a.to_string(true), c.to_string(true));
  EXPECT_NE(a.to_string().find("replay: xgrad_fuzz_graphs --seed 20261121 --graph 17"), std::string::npos);
  EXPECT_DOUBLE_EQ(a.run(a.leaf_values()).item(), b.run(b.leaf_values()).item());
}

TEST(GraphFuzzerCoverage, CatchesAWrongDerivative) {
  FuzzOptions wrong;
  wrong.inject_wrong_op = true;
  std::size_t caught = 0, injected = 0;
  for (std::size_t k = 0; k < 40; ++k) {
    const Program p = generate(kSeed, k, wrong);
    if (p.to_string().find("WrongCube") == std::string::npos) continue;
    ++injected;
    const auto r = check(p);
    if (!r.ok) {
      ++caught;
      EXPECT_NE(r.report.find("WrongCube::apply"), std::string::npos) << r.report;
    }
  }
  ASSERT_GT(injected, 10u);
  EXPECT_EQ(caught, injected);
}

}  // namespace
}  // namespace xg::fuzz
