// Graphviz export of a recorded graph.
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "autodiff/dot.hpp"
#include "autodiff/node.hpp"

namespace xg {

namespace {
double norm(const Tensor& t) {
  double s = 0;
  for (double v : t.to_vector()) s += v * v;
  return std::sqrt(s);
}
}  // namespace

std::string to_dot(const Tensor& root) {
  std::string out = "digraph xgrad {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  if (!root.defined()) return out + "}\n";
  std::unordered_map<const void*, std::string> ids;
  auto id_of = [&](const void* p) {
    auto [it, inserted] = ids.try_emplace(p, fmt::format("n{}", ids.size()));
    return std::pair{it->second, inserted};
  };
  auto leaf_node = [&](const TensorImpl* leaf) {
    auto [id, fresh] = id_of(leaf);
    if (fresh) {
      std::string label = fmt::format("leaf {}", shape_str(leaf->shape));
      if (leaf->grad) label += fmt::format("\\ngrad norm {:.4g}", norm(Tensor(leaf->grad)));
      out += fmt::format("  {} [shape=ellipse, style=filled, fillcolor=\"#d6eaf8\", label=\"{}\"];\n", id, label);
    }
    return id;
  };
  if (!root.grad_fn()) {
    leaf_node(root.impl());
    return out + "}\n";
  }
  // Output shapes per node are not stored; label each op with its input shapes instead.
  std::vector<const Node*> stack{root.grad_fn().get()};
  id_of(stack.back());
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    const std::string id = ids.at(n);
    std::vector<std::string> in_shapes;
    for (const auto& m : n->inputs()) in_shapes.push_back(shape_str(m.shape));
    out += fmt::format("  {} [shape=box, style=filled, fillcolor=\"#fdebd0\", label=\"{}\\n{}\"];\n", id, n->name(),
                       fmt::join(in_shapes, " "));
    for (const auto& e : n->edges()) {
      if (e.node) {
        auto [child, fresh] = id_of(e.node.get());
        if (fresh) stack.push_back(e.node.get());
        out += fmt::format("  {} -> {};\n", child, id);
      } else if (e.leaf) {
        out += fmt::format("  {} -> {};\n", leaf_node(e.leaf.get()), id);
      }
    }
  }
  out += fmt::format("  out [shape=plaintext, label=\"output {}\"];\n  {} -> out;\n", shape_str(root.shape()),
                     ids.at(root.grad_fn().get()));
  return out + "}\n";
}

}  // namespace xg
