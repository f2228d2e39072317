// Module system: registration, dotted names, sharing on copy, train/eval, printing.
#include <gtest/gtest.h>

#include "contract_net.hpp"

#include <nn/nn.hpp>

namespace xg {
namespace {

using xg::testing::Net;

struct Block : nn::Module {
  nn::Linear lin{3, 2};
  nn::BatchNorm1d bn{2};
  Tensor scale;
  Block() {
    register_module("lin", lin);
    scale = register_parameter("scale", ones({1}));
    register_module("bn", bn);
  }
  Tensor forward(const Tensor& x) override { return bn(lin(x)) * scale; }
};

TEST(Module, UserSubclassAsInTheContract) {
  Net net;
  auto y = net(randn({4, 784}));
  EXPECT_EQ(y.shape(), (Shape{4, 10}));
  const auto named = net.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "fc1.weight");
  EXPECT_EQ(named[1].first, "fc1.bias");
  EXPECT_EQ(named[2].first, "fc2.weight");
  EXPECT_EQ(named[3].first, "fc2.bias");
  EXPECT_EQ(named[0].second.shape(), (Shape{128, 784}));
  EXPECT_EQ(net.num_parameters(), 784u * 128 + 128 + 128 * 10 + 10);
  // The member and the registered copy share storage: the optimizer updates what forward uses.
  EXPECT_EQ(net.parameters()[0].impl(), net.fc1.weight.impl());
}

TEST(Module, RegistrationOrderParametersBuffersAndNesting) {
  Block b;
  std::vector<std::string> names;
  for (auto& [n, _] : b.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"scale", "lin.weight", "lin.bias", "bn.weight", "bn.bias"}));
  names.clear();
  for (auto& [n, _] : b.named_buffers()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"bn.running_mean", "bn.running_var"}));
  for (auto& p : b.parameters()) EXPECT_TRUE(p.requires_grad());
  for (auto& t : b.buffers()) EXPECT_FALSE(t.requires_grad());
}

TEST(Module, CopiesShareParametersAndMode) {
  nn::Linear a(2, 3);
  nn::Linear b = a;
  EXPECT_EQ(a.weight.impl(), b.weight.impl());
  nn::Sequential seq(a, nn::ReLU());
  seq.eval();
  EXPECT_FALSE(a.is_training());
  EXPECT_FALSE(b.is_training());
  seq.train();
  EXPECT_TRUE(a.is_training());
  EXPECT_EQ(seq.parameters()[0].impl(), a.weight.impl());
}

TEST(Module, ZeroGradDropsEveryGradient) {
  nn::Sequential m(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1));
  m(randn({5, 3})).sum().backward();
  for (auto& p : m.parameters()) EXPECT_TRUE(p.grad().defined());
  m.zero_grad();
  for (auto& p : m.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(Module, BadNamesAreValueErrors) {
  struct Bad : nn::Module {
    void twice() {
      register_parameter("w", ones({1}));
      register_parameter("w", ones({1}));
    }
    void dotted() { register_buffer("a.b", ones({1})); }
  };
  EXPECT_THROW(Bad().twice(), ValueError);
  EXPECT_THROW(Bad().dotted(), ValueError);
}

TEST(Module, PrintsItsTreeAndParameterCount) {
  nn::Sequential m(nn::Linear(64, 128), nn::ReLU(), nn::Linear(128, 10));
  EXPECT_EQ(m.to_string(),
            "Sequential(\n"
            "  (0): Linear(in=64, out=128, bias=true)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in=128, out=10, bias=true)\n"
            ")");
  std::ostringstream os;
  os << m;
  EXPECT_NE(os.str().find("9610 parameters"), std::string::npos) << os.str();
  EXPECT_NE(Net().to_string().find("Net(\n  (fc1): Linear(in=784, out=128, bias=true)"), std::string::npos);
}

TEST(Module, SequentialPushBackAndIndexing) {
  nn::Sequential m;
  m.push_back(nn::Linear(2, 2));
  m.push_back(nn::Sigmoid());
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].repr(), "Sigmoid()");
  EXPECT_THROW(m[2], ValueError);
  EXPECT_EQ(m(ones({1, 2})).shape(), (Shape{1, 2}));
}

TEST(Module, LinearChecksItsInput) {
  nn::Linear lin(3, 2);
  EXPECT_EQ(lin(ones({3})).shape(), Shape{2});
  EXPECT_EQ(lin(ones({4, 5, 3})).shape(), (Shape{4, 5, 2}));
  try {
    lin(ones({4, 5}));
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("Linear(in=3, out=2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[4, 5]"), std::string::npos) << e.what();
  }
  nn::Linear no_bias(3, 2, false);
  EXPECT_FALSE(no_bias.bias.defined());
  EXPECT_EQ(no_bias.parameters().size(), 1u);
}

TEST(Module, LinearInitialisesLikePyTorch) {
  manual_seed(0);
  nn::Linear lin(100, 50);
  const double bound = 1.0 / 10.0;
  for (double w : lin.weight.to_vector()) EXPECT_LE(std::abs(w), bound);
  for (double b : lin.bias.to_vector()) EXPECT_LE(std::abs(b), bound);
  double var = 0;
  for (double w : lin.weight.to_vector()) var += w * w;
  var /= lin.weight.numel();
  EXPECT_NEAR(var, bound * bound / 3, 0.1 * bound * bound / 3);  // U(±b) has variance b²/3
}

TEST(Module, ForwardNotImplementedIsAGraphError) {
  struct Empty : nn::Module {};
  Empty e;
  EXPECT_THROW(e(ones({1})), GraphError);
  nn::MSELoss loss;
  EXPECT_THROW(static_cast<nn::Module&>(loss)(ones({1})), GraphError);
}

}  // namespace
}  // namespace xg
