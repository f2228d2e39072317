#pragma once
// The C++ OpInfo: one registry of op cases feeding the generic float64 gradcheck sweep
// (test_op_gradients.cpp). Every primitive of the derivative table must be reached by at least
// one case; the meta-test finds the primitives each case really records by walking its graph.
#include <functional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <autodiff/autodiff.hpp>

namespace xg::testing {

struct Domain {
  double lo = -2, hi = 2;
  bool away_from_zero = false;  // |x| >= 0.1: keeps finite differences off kinks at 0
};

struct OpCase {
  std::string name;  // unique, [A-Za-z0-9_]
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  std::vector<Shape> shapes;
  std::vector<Domain> domains = {};  // per input; missing entries use Domain{}
  GradcheckOptions options = {};
  bool second_order = true;  // also gradgradcheck
};

const std::vector<OpCase>& op_cases();

/// GoogleTest prints a case by its name.
inline void PrintTo(const OpCase& c, std::ostream* os) { *os << c.name; }

/// Deterministic float64 inputs for a case (seeded by the case's name).
std::vector<Tensor> make_inputs(const OpCase& c);

/// Names of every node recorded behind `root`.
std::set<std::string> recorded_ops(const Tensor& root);

}  // namespace xg::testing
