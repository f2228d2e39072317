// The aliasing fuzzer in the suite (tests/fuzz/alias_fuzzer.hpp): 3,000 seeded cases of ops
// reading the .grad that their backward accumulates into, each against a reference from copies.
// On the tree before the fix (gradient sinks that wrote while reading) most cases failed.
#include <gtest/gtest.h>

#include <set>

#include "alias_fuzzer.hpp"

namespace xg::fuzz {
namespace {

constexpr std::uint64_t kAliasSeed = 20261204;

TEST(AliasFuzzer, OpsReadingTheGradTheyAccumulateIntoGetTheReferenceGradient) {
  std::size_t forms = 0;
  for (std::size_t k = 0; k < 3000; ++k) {
    const AliasResult r = check_aliasing(kAliasSeed, k);
    ASSERT_TRUE(r.ok) << r.report;
    forms += static_cast<std::size_t>(r.forms);
  }
  EXPECT_GT(forms, 3000u);
}

}  // namespace
}  // namespace xg::fuzz
