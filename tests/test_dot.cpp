// xg::to_dot: the recorded graph as Graphviz DOT — ops, shapes, leaves, names, gradients,
// shared subexpressions, escaping, and (when Graphviz is installed) that `dot` accepts it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>

namespace xg {
namespace {

/// The DOT text read back: node id -> its label (as written, still escaped) and the edges.
struct ParsedDot {
  std::map<std::string, std::string> labels;
  std::vector<std::pair<std::string, std::string>> edges;  // (from id, to id)

  /// Ids of the nodes whose label is exactly `text`.
  std::vector<std::string> ids_labelled(const std::string& text) const {
    std::vector<std::string> ids;
    for (const auto& [id, l] : labels)
      if (l == text) ids.push_back(id);
    return ids;
  }
  /// The one node labelled `text` (fails the test otherwise).
  std::string id_of(const std::string& text) const {
    auto ids = ids_labelled(text);
    EXPECT_EQ(ids.size(), 1u) << "nodes labelled '" << text << "'";
    return ids.empty() ? std::string() : ids.front();
  }
  std::size_t edge_count(const std::string& from, const std::string& to) const {
    std::size_t n = 0;
    for (const auto& e : edges) n += e.first == from && e.second == to;
    return n;
  }
};

/// Parses the statements to_dot writes, one per line; any other line inside the body fails.
ParsedDot parse(const std::string& dot) {
  ParsedDot p;
  static const std::regex node_re(R"re(^  (\w+) \[.*label="((?:[^"\\]|\\.)*)"\];$)re");
  static const std::regex edge_re(R"re(^  (\w+) -> (\w+);$)re");
  std::istringstream in(dot);
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "digraph xgrad {" || line == "}" || line == "  rankdir=BT;" || line.rfind("  node [", 0) == 0) continue;
    if (std::regex_match(line, m, node_re)) {
      EXPECT_EQ(p.labels.count(m[1]), 0u) << "node declared twice: " << line;
      p.labels[m[1]] = m[2];
    } else if (std::regex_match(line, m, edge_re)) {
      p.edges.emplace_back(m[1], m[2]);
    } else {
      ADD_FAILURE() << "unexpected DOT line: " << line;
    }
  }
  for (const auto& [from, to] : p.edges) {
    EXPECT_EQ(p.labels.count(from), 1u) << "edge from an undeclared node " << from;
    EXPECT_EQ(p.labels.count(to), 1u) << "edge to an undeclared node " << to;
  }
  return p;
}

/// Lexical validity of what DOT is strict about: every quoted string closes (a backslash
/// escapes the next character inside one) and braces/brackets balance outside strings.
bool lexically_valid(const std::string& dot) {
  bool in_string = false;
  int braces = 0, brackets = 0;
  for (std::size_t i = 0; i < dot.size(); ++i) {
    const char c = dot[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      else if (c == '\n') return false;  // to_dot never writes raw newlines inside labels
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '{') ++braces;
    else if (c == '}') --braces;
    else if (c == '[') ++brackets;
    else if (c == ']') --brackets;
    if (braces < 0 || brackets < 0) return false;
  }
  return !in_string && braces == 0 && brackets == 0;
}

TEST(Dot, KnownGraphHasItsOpsShapesAndEdges) {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto y = (x * x + x).sum();
  const ParsedDot p = parse(to_dot(y));
  ASSERT_EQ(p.labels.size(), 5u);  // sum, add, mul, x, output
  const std::string sum = p.id_of(R"(sum\n[3] -> [])");
  const std::string add = p.id_of(R"(add\n[3] [3] -> [3])");
  const std::string mul = p.id_of(R"(mul\n[3] [3] -> [3])");
  const std::string leaf = p.id_of("leaf [3]");
  const std::string out = p.id_of("output []");
  EXPECT_EQ(out, "out");
  EXPECT_EQ(p.edge_count(mul, add), 1u);
  EXPECT_EQ(p.edge_count(leaf, add), 1u);
  EXPECT_EQ(p.edge_count(leaf, mul), 2u);  // x * x: one edge per operand
  EXPECT_EQ(p.edge_count(add, sum), 1u);
  EXPECT_EQ(p.edge_count(sum, out), 1u);
  EXPECT_EQ(p.edges.size(), 6u);
}

TEST(Dot, OutputShapesOfInnerOpsAndConstantInputs) {
  auto w = randn({3, 2}).requires_grad_();
  auto x = randn({4, 3});  // no grad: a constant input, no node of its own
  auto y = matmul(x, w).relu().sum({0});
  const ParsedDot p = parse(to_dot(y));
  const std::string matmul_op = p.id_of(R"(matmul\nconst [4, 3] [3, 2] -> [4, 2])");
  const std::string relu_op = p.id_of(R"(relu\n[4, 2] -> [4, 2])");
  const std::string sum_op = p.id_of(R"(sum\n[4, 2] -> [2])");
  EXPECT_EQ(p.edge_count(p.id_of("leaf [3, 2]"), matmul_op), 1u);
  EXPECT_EQ(p.edge_count(matmul_op, relu_op), 1u);
  EXPECT_EQ(p.edge_count(relu_op, sum_op), 1u);
  EXPECT_EQ(p.labels.size(), 5u);  // three ops, w, output: x is not drawn
}

TEST(Dot, SharedSubexpressionAppearsOnce) {
  auto x = tensor({0.5, -1.0}).requires_grad_();
  auto w = tensor({2.0, 3.0}).requires_grad_();
  auto s = sigmoid(x * w);
  auto y = (s * s + s).sum();
  const ParsedDot p = parse(to_dot(y));
  const std::string sig = p.id_of(R"(sigmoid\n[2] -> [2])");
  // the two muls: x * w (from the leaves) and s * s (from sigmoid, twice)
  const auto muls = p.ids_labelled(R"(mul\n[2] [2] -> [2])");
  ASSERT_EQ(muls.size(), 2u);
  std::size_t from_sigmoid = 0;
  for (const auto& m : muls) from_sigmoid += p.edge_count(sig, m);
  EXPECT_EQ(from_sigmoid, 2u);
  EXPECT_EQ(p.edge_count(sig, p.id_of(R"(add\n[2] [2] -> [2])")), 1u);
  EXPECT_EQ(p.ids_labelled("leaf [2]").size(), 2u);  // x and w, each once
}

TEST(Dot, ParameterNamesLabelLeavesAndNamedResultsLabelTheirOps) {
  manual_seed(0);
  nn::Sequential model(nn::Linear(3, 2), nn::Sigmoid(), nn::Linear(2, 1));
  auto x = randn({5, 3});
  // the first layer written out, with its result named
  auto z = matmul(x, model.parameters()[0].t()) + model.parameters()[1];
  auto loss = z.sigmoid().sum();
  DotOptions options{.names = model.named_parameters()};
  options.names.emplace_back("z", z);
  options.names.emplace_back("loss", loss);
  const ParsedDot p = parse(to_dot(loss, options));
  EXPECT_EQ(p.ids_labelled(R"(0.weight\n[2, 3])").size(), 1u);
  EXPECT_EQ(p.ids_labelled(R"(0.bias\n[2])").size(), 1u);
  EXPECT_EQ(p.ids_labelled(R"(z = add\n[5, 2] [2] -> [5, 2])").size(), 1u);
  EXPECT_EQ(p.ids_labelled(R"(loss = sum\n[5, 2] -> [])").size(), 1u);
  for (const auto& [id, l] : p.labels) EXPECT_EQ(l.rfind("leaf", 0), std::string::npos) << l;
  // Layer 2's parameters are not in this graph, so their names do not appear.
  const std::string dot = to_dot(loss, options);
  EXPECT_EQ(dot.find("2.weight"), std::string::npos);

  // the whole model: all four parameters by name
  auto full = model(x).sum();
  const ParsedDot q = parse(to_dot(full, {.names = model.named_parameters()}));
  for (const char* label : {R"(0.weight\n[2, 3])", R"(0.bias\n[2])", R"(2.weight\n[1, 2])", R"(2.bias\n[1])"})
    EXPECT_EQ(q.ids_labelled(label).size(), 1u) << label;
}

TEST(Dot, NamedLeavesAreDrawnApartFromUnnamedOnes) {
  auto a = tensor(1.0).requires_grad_();
  auto b = tensor(2.0).requires_grad_();
  const std::string dot = to_dot(a * b, {.names = {{"a", a}}});
  EXPECT_NE(dot.find(R"(fillcolor="#d5f5e3", label="a\n[]")"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"(fillcolor="#d6eaf8", label="leaf []")"), std::string::npos) << dot;
}

TEST(Dot, GradientValuesOnlyWhenAsked) {
  auto x = tensor({1.0, 2.0, 3.0}).requires_grad_();
  auto y = (x * x + x).sum();
  EXPECT_EQ(to_dot(y).find("\\ngrad"), std::string::npos);  // no backward yet
  y.backward();
  // after a backward that freed the graph, the structure is still there to draw
  const std::string plain = to_dot(y);
  EXPECT_NE(plain.find(R"(leaf [3]\ngrad norm 9.11")"), std::string::npos) << plain;  // ‖[3, 5, 7]‖
  EXPECT_EQ(plain.find("grad [3, 5, 7]"), std::string::npos);
  EXPECT_EQ(plain, to_dot(y, {}));
  const std::string valued = to_dot(y, {.show_grad_values = true});
  EXPECT_NE(valued.find(R"(leaf [3]\ngrad [3, 5, 7]")"), std::string::npos) << valued;
  EXPECT_EQ(valued.find("grad norm"), std::string::npos);
  // too many values: the norm instead
  const std::string capped = to_dot(y, {.show_grad_values = true, .max_values = 2});
  EXPECT_NE(capped.find("grad norm 9.11"), std::string::npos) << capped;
  // precision
  EXPECT_NE(to_dot(y, {.precision = 2}).find("grad norm 9.1\""), std::string::npos);
}

TEST(Dot, GradientValuesFollowTheShape) {
  auto m = tensor({{1.0, 2.0}, {3.0, 4.0}}, kFloat64).requires_grad_();
  auto s = tensor(0.5, kFloat64).requires_grad_();
  auto y = (m * s).sum();
  y.backward();
  const std::string dot = to_dot(y, {.names = {{"m", m}, {"s", s}}, .show_grad_values = true});
  EXPECT_NE(dot.find(R"(m\n[2, 2]\ngrad [[0.5, 0.5], [0.5, 0.5]])"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"(s\n[]\ngrad 10")"), std::string::npos) << dot;
}

struct WeirdlyNamedOp : Function<WeirdlyNamedOp> {
  static constexpr const char* name = "my \"op\" \\ {x}";
  static Tensor forward(Context&, const Tensor& x) { return x * 2.0; }
  static std::vector<Tensor> backward(Context&, const Tensor& g) { return {g * 2.0}; }
};

TEST(Dot, LabelsAreEscaped) {
  auto w = tensor({1.0}).requires_grad_();
  auto y = WeirdlyNamedOp::apply(w).sum();
  const std::string dot = to_dot(y, {.names = {{"w \"quoted\" back\\slash\nnext line", w}}});
  EXPECT_TRUE(lexically_valid(dot)) << dot;
  EXPECT_NE(dot.find(R"(label="w \"quoted\" back\\slash\nnext line\n[1]")"), std::string::npos) << dot;
  EXPECT_NE(dot.find(R"(label="my \"op\" \\ {x}\n[1] -> [1]")"), std::string::npos) << dot;
  const ParsedDot p = parse(dot);
  EXPECT_EQ(p.labels.size(), 4u);
}

TEST(Dot, UndefinedAndLeafRoots) {
  EXPECT_EQ(to_dot(Tensor()), "digraph xgrad {\n  rankdir=BT;\n  node [fontname=\"Helvetica\", fontsize=10];\n}\n");
  auto w = tensor({1.0, 2.0}).requires_grad_();
  const ParsedDot p = parse(to_dot(w, {.names = {{"w", w}}}));
  ASSERT_EQ(p.labels.size(), 1u);
  EXPECT_EQ(p.labels.begin()->second, R"(w\n[2])");
  EXPECT_TRUE(p.edges.empty());
}

TEST(Dot, GraphvizAcceptsIt) {
  if (std::system("command -v dot > /dev/null 2>&1") != 0) GTEST_SKIP() << "Graphviz `dot` is not on PATH";
  manual_seed(1);
  nn::Sequential model(nn::Linear(4, 3), nn::Tanh(), nn::Linear(3, 2));
  auto loss = nn::functional::cross_entropy(model(randn({6, 4})), tensor({0, 1, 1, 0, 1, 0}));
  loss.backward();
  auto names = model.named_parameters();
  auto odd = tensor({1.0}).requires_grad_();
  names.emplace_back("odd \"name\" \\ {with} [brackets] <and> |bars|\nand a line", odd);
  const auto total = loss + WeirdlyNamedOp::apply(odd).sum();
  const auto dir = std::filesystem::temp_directory_path() / ("xgrad_test_dot_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto dot_file = dir / "graph.dot", svg_file = dir / "graph.svg";
  std::ofstream(dot_file) << to_dot(total, {.names = names, .show_grad_values = true});
  const std::string cmd = "dot -Tsvg '" + dot_file.string() + "' -o '" + svg_file.string() + "' 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::ifstream svg(svg_file);
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("0.weight"), std::string::npos);
  EXPECT_NE(text.find("odd &quot;name&quot; \\ {with} [brackets] &lt;and&gt; |bars|"), std::string::npos);
  EXPECT_NE(text.find("and a line"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xg
