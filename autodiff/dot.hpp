#pragma once
// Graph export.
#include <string>

#include "autodiff/tensor.hpp"

namespace xg {

/// The graph recorded behind `root` as Graphviz DOT: one box per op (name, input shapes), one
/// ellipse per leaf that requires grad (shape, and its gradient's norm once it has one), edges
/// from inputs to the ops that used them. Render with `dot -Tpng`.
std::string to_dot(const Tensor& root);

}  // namespace xg
