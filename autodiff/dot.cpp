// Graphviz export of a recorded graph.
#include <cmath>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>

#include "autodiff/dot.hpp"
#include "autodiff/node.hpp"

namespace xg {

namespace {

/// Text for use inside a DOT double-quoted string. In a quoted ID only `\"` is an escape, but
/// Graphviz then reads label escapes (`\n`, `\l`, `\N`, `\\`, ...): doubling every backslash
/// and escaping quotes keeps the text literal; a newline becomes the label line break `\n`.
std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': break;
      default: out += c;
    }
  }
  return out;
}

/// A label from lines of plain text: each escaped, joined by DOT line breaks.
std::string label(const std::vector<std::string>& lines) {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += "\\n";
    out += escape(lines[i]);
  }
  return out;
}

double norm(const std::vector<double>& values) {
  double s = 0;
  for (double v : values) s += v * v;
  return std::sqrt(s);
}

/// Values in nested brackets following `shape`: a 0-D tensor prints as a bare number.
void format_values(std::string& out, const std::vector<double>& values, const Shape& shape, std::size_t dim,
                   std::size_t& next, int precision) {
  if (dim == shape.size()) {
    out += fmt::format("{:.{}g}", values[next++], precision);
    return;
  }
  out += '[';
  for (std::size_t i = 0; i < shape[dim]; ++i) {
    if (i) out += ", ";
    format_values(out, values, shape, dim + 1, next, precision);
  }
  out += ']';
}

std::string grad_line(const std::shared_ptr<TensorImpl>& grad, const DotOptions& options) {
  const std::vector<double> values = Tensor(grad).to_vector();
  if (options.show_grad_values && values.size() <= options.max_values) {
    std::string out = "grad ";
    std::size_t next = 0;
    format_values(out, values, grad->shape, 0, next, options.precision);
    return out;
  }
  return fmt::format("grad norm {:.{}g}", norm(values), options.precision);
}

}  // namespace

std::string to_dot(const Tensor& root) { return to_dot(root, DotOptions{}); }

std::string to_dot(const Tensor& root, const DotOptions& options) {
  if (options.precision < 1 || options.precision > 17)
    throw ValueError(fmt::format("to_dot: DotOptions::precision must be 1 to 17 significant digits, got {}",
                                 options.precision));
  std::string out = "digraph xgrad {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n";
  if (!root.defined()) return out + "}\n";

  // Names by identity: leaves by their TensorImpl, op results by the node that produced them.
  std::unordered_map<const TensorImpl*, std::string> leaf_names;
  std::unordered_map<const Node*, std::string> node_names;
  for (const auto& [name, t] : options.names) {
    if (!t.defined()) continue;
    if (t.grad_fn())
      node_names.try_emplace(t.grad_fn().get(), name);
    else
      leaf_names.try_emplace(t.impl(), name);
  }

  std::unordered_map<const void*, std::string> ids;
  auto id_of = [&](const void* p) {
    auto [it, inserted] = ids.try_emplace(p, fmt::format("n{}", ids.size()));
    return std::pair{it->second, inserted};
  };
  auto leaf_node = [&](const TensorImpl* leaf) {
    auto [id, fresh] = id_of(leaf);
    if (fresh) {
      std::vector<std::string> lines;
      auto named = leaf_names.find(leaf);
      if (named != leaf_names.end()) {
        lines = {named->second, shape_str(leaf->shape)};
      } else {
        lines = {fmt::format("leaf {}", shape_str(leaf->shape))};
      }
      if (!leaf->requires_grad) lines.push_back("no grad");
      if (leaf->grad) lines.push_back(grad_line(leaf->grad, options));
      const char* fill = named != leaf_names.end() ? "#d5f5e3" : "#d6eaf8";
      out += fmt::format("  {} [shape=ellipse, style=filled, fillcolor=\"{}\", label=\"{}\"];\n", id, fill,
                         label(lines));
    }
    return id;
  };
  if (!root.grad_fn()) {
    leaf_node(root.impl());
    return out + "}\n";
  }

  // Discover the ops (depth first from the root, each once) and the shape of each op's output,
  // which nodes do not store: it is the shape recorded for that input by any op that used it.
  const Node* root_node = root.grad_fn().get();
  std::vector<const Node*> order;
  std::unordered_map<const Node*, Shape> out_shapes{{root_node, root.shape()}};
  std::vector<const Node*> stack{root_node};
  id_of(root_node);
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    const auto& edges = n->edges();
    for (std::size_t i = 0; i < edges.size(); ++i) {
      const Node* child = edges[i].node.get();
      if (!child) continue;
      out_shapes.try_emplace(child, n->inputs()[i].shape);
      if (id_of(child).second) stack.push_back(child);
    }
  }

  for (const Node* n : order) {
    const std::string id = ids.at(n);
    auto named = node_names.find(n);
    std::string head = named != node_names.end() ? fmt::format("{} = {}", named->second, n->name()) : n->name();
    std::string shapes;
    for (std::size_t i = 0; i < n->inputs().size(); ++i) {
      if (i) shapes += ' ';
      if (!n->edges()[i].active()) shapes += "const ";
      shapes += shape_str(n->inputs()[i].shape);
    }
    shapes += " -> " + shape_str(out_shapes.at(n));
    out += fmt::format("  {} [shape=box, style=filled, fillcolor=\"#fdebd0\", label=\"{}\"];\n", id,
                       label({head, shapes}));
    for (const auto& e : n->edges()) {
      if (e.node)
        out += fmt::format("  {} -> {};\n", ids.at(e.node.get()), id);
      else if (e.leaf)
        out += fmt::format("  {} -> {};\n", leaf_node(e.leaf.get()), id);
    }
  }
  out += fmt::format("  out [shape=plaintext, label=\"output {}\"];\n  {} -> out;\n", shape_str(root.shape()),
                     ids.at(root_node));
  return out + "}\n";
}

}  // namespace xg
