#pragma once
// The table of primitive ops and their backward rules (derivatives.cpp). Every op in ops.hpp
// either is one of these primitives or is composed of them.
#include <cstdint>
#include <span>

#include "autodiff/node.hpp"

namespace xg {

enum class Op : std::uint8_t {
  Add, Sub, Mul, Div, Neg, Pow, Exp, Log, Sqrt, Abs, Clamp, Maximum, Minimum, Where,
  Sigmoid, Tanh, Relu, Step, Softmax, LogSoftmax,
  Sum, Max, Expand, Reshape, Transpose, Slice, Concat, IndexSelect, IndexAdd,
  Matmul, Linear, Cast,
  SoftmaxCrossEntropy, BceWithLogits, Bce,
  Count_
};

struct Rule {
  Op op;
  const char* name;
  BackwardRule backward;
};

/// The rule of one primitive.
const Rule& rule_of(Op op);
/// All rules, in Op order (the op-coverage meta-test walks this).
std::span<const Rule> all_rules();

/// Records `out` as the result of primitive `op` applied to `inputs`; returns the node's context
/// (to save what the rule needs) or nullptr when nothing is recorded. Also runs the anomaly check.
Context* record(Op op, Tensor& out, std::initializer_list<const Tensor*> inputs);
Context* record(Op op, Tensor& out, std::span<const Tensor* const> inputs);

}  // namespace xg
