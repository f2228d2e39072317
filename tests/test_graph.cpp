// Graph semantics: paths, reuse, retain_graph, accumulation, long chains, grad mode, detach,
// custom ops in larger graphs, double backward, and no leaks.
#include <gtest/gtest.h>

#include <thread>

#include <autodiff/autodiff.hpp>

namespace xg {
namespace {

std::vector<double> values(const Tensor& t) { return t.to_vector(); }

TEST(Graph, ReuseSumsBothPaths) {  // d(x·x + x)/dx = 2x + 1
  auto x = tensor({1.0, -2.0, 3.0}).requires_grad_();
  (x * x + x).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{3, -3, 7}));
}

TEST(Graph, DiamondAccumulatesBeforeTheSharedNodeRuns) {
  // a = 2x; b = a·3; c = a·a; y = b + c  →  dy/dx = 2·(3 + 2a) = 6 + 8x
  auto x = tensor(1.5).requires_grad_();
  auto a = x * 2.0;
  auto y = a * 3.0 + a * a;
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 6 + 8 * 1.5);
}

TEST(Graph, GradientsAccumulateAcrossBackwardCallsUntilZeroGrad) {
  auto x = tensor({2.0}).requires_grad_();
  (x * 3.0).sum().backward();
  (x * 3.0).sum().backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>{6});
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
  (x * x).sum().backward();
  EXPECT_EQ(values(x.grad()), std::vector<double>{4});
}

TEST(Graph, RetainGraphAllowsASecondBackward) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x.exp() * x).sum();
  y.backward({}, /*retain_graph=*/true);
  const auto first = values(x.grad());
  y.backward();
  const auto second = values(x.grad());
  for (std::size_t i = 0; i < 2; ++i) EXPECT_DOUBLE_EQ(second[i], 2 * first[i]);
}

TEST(Graph, SecondBackwardOverAFreedGraphIsAGraphErrorNamingTheOp) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x.exp()).sum();
  y.backward();
  try {
    y.backward();
    FAIL() << "expected GraphError";
  } catch (const GraphError& e) {
    EXPECT_NE(std::string(e.what()).find("'exp'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Graph, GradOutputSeedsANonScalarRoot) {
  auto x = tensor({{1.0, 2.0}, {3.0, 4.0}}).requires_grad_();
  auto y = x * x;
  y.backward(tensor({{1.0, 0.0}, {0.5, 2.0}}));
  EXPECT_EQ(values(x.grad()), (std::vector<double>{2, 0, 3, 16}));
}

TEST(Graph, ImplicitSeedNeedsOneElement) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  EXPECT_THROW((x * 2.0).backward(), GraphError);
  auto y = (x * 2.0).reshape({2, 1}).slice(0, 0, 1);  // shape {1, 1}: one element is enough
  y.backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{2, 0}));
}

TEST(Graph, LongChainOf100kOpsRunsAndFreesIteratively) {
  const std::size_t before = live_node_count();
  {
    auto x = tensor(1.0).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y * 1.0 + 0.0;  // 200,000 nodes
    EXPECT_GE(live_node_count() - before, 200000u);
    y.backward();
    EXPECT_DOUBLE_EQ(x.grad().item(), 1.0);
  }  // destroying the chain must not recurse 200,000 frames deep
  EXPECT_EQ(live_node_count(), before);
}

TEST(Graph, LongChainIsFreedEvenWithoutBackward) {
  const std::size_t before = live_node_count();
  {
    auto x = randn({2}).requires_grad_();
    Tensor y = x;
    for (int i = 0; i < 100000; ++i) y = y.tanh();
  }
  EXPECT_EQ(live_node_count(), before);
}

TEST(Graph, SavedOutputsMakeNoReferenceCycle) {
  const std::size_t before = live_node_count();
  {
    auto x = randn({3}).requires_grad_();
    auto y = x.exp().sigmoid().tanh().softmax().sqrt();  // each saves its own output
    EXPECT_EQ(live_node_count() - before, 5u);
  }
  EXPECT_EQ(live_node_count(), before);
}

TEST(Graph, NoGradGuardRecordsNothingAndRestores) {
  auto x = tensor({1.0}).requires_grad_();
  {
    NoGradGuard guard;
    EXPECT_FALSE(is_grad_enabled());
    auto y = x * 2.0;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_FALSE(y.grad_fn());
    {
      NoGradGuard nested;
    }
    EXPECT_FALSE(is_grad_enabled());
  }
  EXPECT_TRUE(is_grad_enabled());
  EXPECT_TRUE((x * 2.0).requires_grad());
}

TEST(Graph, GradModeIsPerThread) {
  NoGradGuard guard;
  bool other_thread_enabled = false;
  std::thread([&] { other_thread_enabled = is_grad_enabled(); }).join();
  EXPECT_TRUE(other_thread_enabled);
}

TEST(Graph, DetachCutsTheGraphButSharesStorage) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  auto y = (x * d).sum();  // d is a constant here
  y.backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{2, 4}));
}

TEST(Graph, RequiresGradOnlyOnLeaves) {
  auto x = tensor({1.0}).requires_grad_();
  auto y = x * 2.0;
  EXPECT_FALSE(y.is_leaf());
  EXPECT_THROW(y.requires_grad_(false), GraphError);
  EXPECT_NO_THROW(y.requires_grad_(true));
}

TEST(Graph, BackwardFromATensorThatNeedsNoGradIsAGraphError) {
  auto x = tensor({1.0, 2.0});
  EXPECT_THROW(x.sum().backward(), GraphError);
}

TEST(Graph, OpsOnlyRecordWhenAnInputRequiresGrad) {
  auto a = tensor({1.0}), b = tensor({2.0});
  EXPECT_FALSE((a * b).grad_fn());
  b.requires_grad_();
  auto y = a * b;
  ASSERT_TRUE(y.grad_fn());
  EXPECT_STREQ(y.grad_fn()->name(), "mul");
  EXPECT_FALSE(y.grad_fn()->context().needs_input_grad(0));
  EXPECT_TRUE(y.grad_fn()->context().needs_input_grad(1));
}

TEST(Graph, BroadcastGradientsAreSummedToTheInputShape) {
  auto bias = zeros({3}).requires_grad_();
  auto x = ones({4, 3});
  (x + bias).sum().backward();
  EXPECT_EQ(bias.grad().shape(), (Shape{3}));
  EXPECT_EQ(values(bias.grad()), (std::vector<double>{4, 4, 4}));
}

TEST(Graph, MixedDtypesPromoteAndGradientsKeepEachInputsDtype) {
  auto a = tensor({1.0, 2.0}).requires_grad_();                 // float32
  auto b = tensor({3.0, 4.0}, kFloat64).requires_grad_();       // float64
  auto y = a * b;
  EXPECT_EQ(y.dtype(), kFloat64);
  y.sum().backward();
  EXPECT_EQ(a.grad().dtype(), kFloat32);
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  EXPECT_EQ(values(a.grad()), (std::vector<double>{3, 4}));
}

struct Scale : Function<Scale> {
  static Tensor forward(Context& ctx, const Tensor& x, double factor) {
    ctx.set("factor", factor);
    return x * factor;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& g) { return {g * ctx.get<double>("factor")}; }
};

struct Passthrough : Function<Passthrough> {  // returns its input: the engine must alias it
  static Tensor forward(Context&, const Tensor& x) { return x; }
  static std::vector<Tensor> backward(Context&, const Tensor& g) { return {g}; }
};

struct BiasAdd : Function<BiasAdd> {  // returns an un-reduced gradient for a broadcast input
  static Tensor forward(Context&, const Tensor& x, const Tensor& b) { return x + b; }
  static std::vector<Tensor> backward(Context&, const Tensor& g) { return {g, g}; }
};

TEST(Graph, CustomFunctionsBehaveLikeBuiltIns) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = Scale::apply(x * x, 3.0) + x;  // inside a larger graph, x reused
  EXPECT_NE(std::string(y.grad_fn()->edges()[0].node->name()).find("Scale"), std::string::npos);
  y.sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{7, 13}));  // 6x + 1
}

TEST(Graph, CustomFunctionReturningItsInputDoesNotHijackTheInput) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = Passthrough::apply(x);
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(y.is_leaf());
  (y * 2.0).sum().backward();
  EXPECT_EQ(values(x.grad()), (std::vector<double>{2, 2}));
}

TEST(Graph, CustomFunctionGradientsAreReducedForBroadcastInputs) {
  auto x = ones({3, 2}).requires_grad_();
  auto b = zeros({2}).requires_grad_();
  BiasAdd::apply(x, b).sum().backward();
  EXPECT_EQ(values(b.grad()), (std::vector<double>{3, 3}));
}

TEST(Graph, CustomFunctionWithAWrongGradientCountIsAGraphError) {
  struct TwoGrads : Function<TwoGrads> {
    static Tensor forward(Context&, const Tensor& x) { return x * 1.0; }
    static std::vector<Tensor> backward(Context&, const Tensor& g) { return {g, g}; }
  };
  auto x = tensor({1.0}).requires_grad_();
  EXPECT_THROW(TwoGrads::apply(x).sum().backward(), GraphError);
}

struct BadShape : Function<BadShape> {
  static constexpr const char* name = "bad_shape";
  static Tensor forward(Context&, const Tensor& x) { return x * 1.0; }
  static std::vector<Tensor> backward(Context&, const Tensor&) { return {ones({5})}; }
};

TEST(Graph, CustomFunctionWithAWrongGradientShapeIsAShapeErrorNamingTheOp) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  try {
    BadShape::apply(x).sum().backward();
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("bad_shape"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[5]"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[2]"), std::string::npos) << e.what();
  }
}

TEST(Graph, GradReturnsGradientsWithoutTouchingDotGrad) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto y = (x * x * x).sum();
  auto g = grad({y}, {x});
  EXPECT_EQ(values(g[0]), (std::vector<double>{3, 12}));
  EXPECT_FALSE(x.grad().defined());
}

TEST(Graph, GradWithRespectToAnIntermediate) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto h = x * 3.0;
  auto y = (h * h).sum();
  auto g = grad({y}, {h});
  EXPECT_EQ(values(g[0]), (std::vector<double>{6, 12}));  // 2h
}

TEST(Graph, DoubleBackwardOfACube) {
  auto x = tensor({2.0}).requires_grad_();
  auto y = (x * x * x).sum();
  auto g = grad({y}, {x}, {}, /*retain_graph=*/false, /*create_graph=*/true)[0];  // 3x² = 12
  EXPECT_DOUBLE_EQ(g.item(), 12);
  auto gg = grad({g.sum()}, {x})[0];  // 6x = 12
  EXPECT_DOUBLE_EQ(gg.item(), 12);
}

TEST(Graph, BackwardWithCreateGraphMakesDotGradDifferentiable) {
  auto x = tensor({3.0}).requires_grad_();
  (x * x * x).sum().backward({}, false, /*create_graph=*/true);
  Tensor g = x.grad();  // 3x² = 27, with a graph
  ASSERT_TRUE(g.requires_grad());
  x.zero_grad();  // drop the x -> .grad -> graph -> x cycle, as PyTorch advises
  g.sum().backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 18);  // 6x
  x.zero_grad();
}

TEST(Graph, DotExportNamesOpsAndLeaves) {
  auto x = tensor({1.0, 2.0}).requires_grad_();
  auto w = tensor({3.0, 4.0}).requires_grad_();
  auto y = (x * w).sigmoid().sum();
  const std::string dot = to_dot(y);
  EXPECT_NE(dot.find("digraph"), std::string::npos);
  for (const char* op : {"mul", "sigmoid", "sum", "leaf [2]"}) EXPECT_NE(dot.find(op), std::string::npos) << op;
}

TEST(Graph, LiveNodesReturnToBaselineAfterATrainingLikeLoop) {
  const std::size_t before = live_node_count();
  auto w = randn({4, 3}).requires_grad_();
  for (int step = 0; step < 50; ++step) {
    auto loss = (matmul(randn({8, 4}), w).tanh() - 0.5).pow(2).mean();
    loss.backward();
    NoGradGuard no_grad;
    w.sub_(w.grad() * 0.1);
    w.zero_grad();
  }
  EXPECT_EQ(live_node_count(), before);
}

}  // namespace
}  // namespace xg
