#pragma once
// Graph export: the graph recorded behind a tensor as Graphviz DOT.
//
//   auto loss = xg::nn::functional::mse_loss(model(x), y);
//   loss.backward();
//   std::ofstream("graph.dot") << xg::to_dot(loss, {.names = model.named_parameters(),
//                                                   .show_grad_values = true});
//   // then: dot -Tpng graph.dot -o graph.png
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg {

/// What to_dot draws beyond the bare graph (an aggregate; new members go at the end).
struct DotOptions {
  /// Names for tensors, matched by identity (the same tensor or a copy of its handle, not an
  /// equal-valued one). A named leaf is drawn with its name instead of "leaf": pass
  /// `model.named_parameters()` to see "fc1.weight" on the graph. A named result of an op (say
  /// `{"z1", z1}`) labels the box of the op that produced it ("z1 = add"). Names of tensors
  /// that are not in the graph (constants, tensors that do not require grad) are ignored; when
  /// a tensor is named twice, the first name wins.
  std::vector<std::pair<std::string, Tensor>> names = {};
  /// Print the values of the leaves' gradients, for gradients of at most `max_values`
  /// elements; larger ones are shown by their norm. Off: every gradient is shown by its norm.
  bool show_grad_values = false;
  /// The largest gradient printed value by value.
  std::size_t max_values = 16;
  /// Significant digits of printed gradient values and norms, 1 to 17 (ValueError otherwise).
  int precision = 4;
};

/// The graph recorded behind `root` as Graphviz DOT (`digraph xgrad { ... }`), drawn bottom-up
/// from the leaves to the output:
///
/// - one box per op: its name (a custom Function's `name`), then its input shapes and its
///   output shape, `[3] const [3] -> [3]` (`const` marks an input that does not require grad,
///   which has no node of its own); a shared subexpression is one box with several out-edges;
/// - one ellipse per leaf that requires grad: `leaf [3]`, or its name from DotOptions::names
///   (drawn in another colour), and its gradient once a backward has reached it (the norm, or
///   the values with DotOptions::show_grad_values);
/// - edges from each input to the op that used it (an input used twice gives two edges), and
///   from the root's op to a final `output [shape]` node.
///
/// Leaves that do not require grad are not drawn. Labels are escaped (quotes, backslashes,
/// newlines in names), so any name gives valid DOT. The graph is read, never changed: calling
/// to_dot before or after backward (with or without retain_graph) is fine. An undefined root
/// gives an empty graph.
///
///   auto x = xg::tensor({1.0, 2.0, 3.0}).requires_grad_();
///   auto y = (x * x + x).sum();
///   y.backward();
///   std::string dot = xg::to_dot(y, {.names = {{"x", x}}, .show_grad_values = true});
///   // ... n3 [shape=ellipse, ..., label="x\n[3]\ngrad [3, 5, 7]"]; ...
std::string to_dot(const Tensor& root, const DotOptions& options);

/// to_dot(root, DotOptions{}): no names, gradients shown by their norm.
std::string to_dot(const Tensor& root);

}  // namespace xg
