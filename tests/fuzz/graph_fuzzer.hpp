#pragma once
// The random-graph gradient fuzzer: seeded random expression DAGs over every op — shared
// subexpressions, broadcasting shapes, reductions, shape ops, matmuls, fused losses and custom
// Function<> ops — with every op's inputs kept inside its domain and away from its kinks, checked
// against central finite differences in float64.
//
// A graph is a straight-line program: leaves (float64 inputs), then steps, each applying one op
// to earlier values; the loss is a weighted sum of the values no step consumed. Graph k of seed s
// is fully determined by (s, k): a failure prints the program in readable form together with the
// command that replays it (`xgrad_fuzz_graphs --seed s --graph k --verbose`).
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>

namespace xg::fuzz {

struct FuzzOptions {
  std::size_t min_steps = 3, max_steps = 12;  ///< ops per graph
  /// Also add, with some probability, an op whose backward is deliberately wrong (to prove that
  /// the fuzzer catches one).
  bool inject_wrong_op = false;
  /// gradgradcheck every n-th graph as well (0 = never).
  std::size_t second_order_every = 10;
};

/// One entry of the program: a leaf or an op applied to earlier entries.
struct Entry {
  std::string text;  ///< "mul(t1, t3)"; for a leaf "leaf"
  bool is_leaf = false;
  Tensor leaf_value;  ///< leaves: the float64 value the check starts from
  std::function<Tensor(const std::vector<Tensor>&)> apply;  ///< steps: from the values so far
  Shape shape;
};

struct Program {
  std::uint64_t seed = 0;
  std::size_t index = 0;
  std::vector<Entry> entries;
  std::vector<std::size_t> outputs;  ///< entries summed into the loss
  std::vector<double> output_weights;

  std::vector<Tensor> leaf_values() const;
  /// Runs the program on the given leaves (in entry order) and returns the scalar loss.
  Tensor run(const std::vector<Tensor>& leaves) const;
  /// The program, one entry per line, with shapes; `with_values` adds the leaves' values.
  std::string to_string(bool with_values = false) const;
  std::size_t steps() const;
};

/// Builds graph `index` of `seed`.
Program generate(std::uint64_t seed, std::size_t index, const FuzzOptions& options = {});

struct CheckResult {
  bool ok = true;
  std::string report;              ///< gradcheck's report and the program, when not ok
  std::set<std::string> ops;       ///< names of the nodes recorded behind the loss
  bool second_order = false;       ///< gradgradcheck ran too
};

/// gradchecks the program (and gradgradchecks it when `second_order`).
CheckResult check(const Program& program, bool second_order = false);

/// Names of the ops the fuzzer can emit, as the engine names their nodes (to compare with the
/// derivative table).
std::set<std::string> primitive_names_not_fuzzed();

}  // namespace xg::fuzz
