// The generic sweep: every case of the registry is gradchecked (and gradgradchecked) in float64,
// and its float32 forward must agree with the float64 one.
#include <gtest/gtest.h>

#include <autodiff/derivatives.hpp>

#include "op_registry.hpp"

namespace xg::testing {
namespace {

class OpGradients : public ::testing::TestWithParam<OpCase> {};

std::vector<Tensor> requiring_grad(std::vector<Tensor> xs) {
  for (auto& x : xs) x.requires_grad_(true);
  return xs;
}

TEST_P(OpGradients, FirstOrderMatchesFiniteDifferences) {
  const OpCase& c = GetParam();
  const auto result = gradcheck(c.fn, requiring_grad(make_inputs(c)), c.options);
  EXPECT_TRUE(result.ok) << c.name << ": " << result.report;
}

TEST_P(OpGradients, SecondOrderMatchesFiniteDifferences) {
  const OpCase& c = GetParam();
  if (!c.second_order) GTEST_SKIP() << "first order only";
  const auto result = gradgradcheck(c.fn, requiring_grad(make_inputs(c)), c.options);
  EXPECT_TRUE(result.ok) << c.name << ": " << result.report;
}

TEST_P(OpGradients, Float32ForwardAgreesWithFloat64) {
  const OpCase& c = GetParam();
  const auto inputs = make_inputs(c);
  std::vector<Tensor> narrow;
  for (const auto& x : inputs) narrow.push_back(x.to(kFloat32));
  const auto wide = c.fn(inputs).to_vector();
  const auto single = c.fn(narrow).to(kFloat64).to_vector();
  ASSERT_EQ(wide.size(), single.size());
  for (std::size_t i = 0; i < wide.size(); ++i)
    EXPECT_NEAR(single[i], wide[i], 1e-5 + 1e-4 * std::abs(wide[i])) << c.name << " element " << i;
}

INSTANTIATE_TEST_SUITE_P(Registry, OpGradients, ::testing::ValuesIn(op_cases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

// The meta-test: every primitive in the derivative table is recorded by at least one case.
TEST(OpRegistry, CoversEveryPrimitive) {
  std::set<std::string> seen;
  for (const auto& c : op_cases()) {
    auto inputs = requiring_grad(make_inputs(c));
    const auto ops = recorded_ops(c.fn(inputs));
    seen.insert(ops.begin(), ops.end());
  }
  for (const Rule& rule : all_rules())
    EXPECT_TRUE(seen.count(rule.name)) << "primitive '" << rule.name << "' has no case in tests/op_registry.cpp";
}

TEST(OpRegistry, CaseNamesAreUnique) {
  std::set<std::string> names;
  for (const auto& c : op_cases()) EXPECT_TRUE(names.insert(c.name).second) << c.name;
}

}  // namespace
}  // namespace xg::testing
