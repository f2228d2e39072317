// The calls of API.md sections `xg::nn` and `xg::optim`, written as a user writes them.
#include <gtest/gtest.h>

#include "contract_net.hpp"

#include <cstdio>

#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace {

using xg::testing::Net;

struct WithState : xg::nn::Module {
  xg::Tensor w, stat;
  WithState() {
    w = register_parameter("w", xg::ones({2}));
    stat = register_buffer("stat", xg::zeros({2}));
  }
};

TEST(ApiContract, SectionNnCompilesAndRuns) {
  using namespace xg::nn;
  Net net;
  xg::Tensor out = net(xg::randn({2, 784}));
  EXPECT_EQ(out.shape(), (xg::Shape{2, 10}));
  std::vector<xg::Tensor> ps = net.parameters();
  std::vector<std::pair<std::string, xg::Tensor>> named = net.named_parameters();
  EXPECT_EQ(ps.size(), named.size());
  net.train();
  net.train(false);
  net.eval();
  EXPECT_FALSE(net.is_training());
  net.zero_grad();
  WithState ws;
  EXPECT_EQ(ws.named_buffers().size(), 1u);

  Linear lin(3, 2), lin_nb(3, 2, false);
  EXPECT_EQ(lin.weight.shape(), (xg::Shape{2, 3}));
  EXPECT_EQ(lin.bias.shape(), xg::Shape{2});
  Sequential seq(Linear(4, 4), ReLU(), Sigmoid(), Tanh(), LeakyReLU(), LeakyReLU(0.2), ELU(), ELU(0.5), PReLU(),
                 PReLU(4, 0.1), Softmax(), Softmax(1), Identity(), Step(), BatchNorm1d(4), BatchNorm1d(4, 1e-5, 0.1),
                 Dropout(), Dropout(0.1));
  EXPECT_EQ(seq(xg::randn({3, 4})).shape(), (xg::Shape{3, 4}));
  PReLU pr(3);
  EXPECT_EQ(pr.weight.shape(), xg::Shape{3});
  BatchNorm1d bn(4);
  EXPECT_EQ(bn.named_parameters()[0].first, "weight");
  EXPECT_EQ(bn.named_parameters()[1].first, "bias");
  EXPECT_EQ(bn.named_buffers()[0].first, "running_mean");
  EXPECT_EQ(bn.named_buffers()[1].first, "running_var");

  xg::Tensor t = xg::empty({4, 3});
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::ReLU), std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(init::calculate_gain(init::Nonlinearity::LeakyReLU, 0.2), std::sqrt(2.0 / 1.04), 1e-12);
  init::xavier_uniform_(t);
  init::xavier_uniform_(t, 2.0);
  init::xavier_normal_(t);
  init::kaiming_uniform_(t);
  init::kaiming_uniform_(t, 0, init::FanMode::FanOut, init::Nonlinearity::ReLU);
  init::kaiming_normal_(t, 0.1, init::FanMode::FanIn, init::Nonlinearity::Tanh);
  init::zeros_(t);
  xg::Tensor& same = init::constant_(t, 0.5);
  EXPECT_EQ(&same, &t);

  using functional::Reduction;
  auto pred = xg::rand({4, 3}), target = xg::rand({4, 3});
  auto labels = xg::tensor({0, 2, 1, 2});
  xg::Tensor l1 = functional::mse_loss(pred, target), l2 = functional::mse_loss(pred, target, Reduction::Sum);
  xg::Tensor l3 = functional::cross_entropy(pred, labels), l4 = functional::cross_entropy(pred, target, Reduction::None);
  xg::Tensor l5 = functional::binary_cross_entropy(pred, target, Reduction::Mean);
  xg::Tensor l6 = functional::binary_cross_entropy_with_logits(pred, target);
  MSELoss mse;
  CrossEntropyLoss ce;
  BCELoss bce;
  BCEWithLogitsLoss bcel;
  EXPECT_DOUBLE_EQ(mse(pred, target).item(), l1.item());
  EXPECT_DOUBLE_EQ(ce(pred, labels).item(), l3.item());
  EXPECT_DOUBLE_EQ(bce(pred, target).item(), l5.item());
  EXPECT_DOUBLE_EQ(bcel(pred, target).item(), l6.item());
  (void)l2, (void)l4;

  const std::string path = ::testing::TempDir() + "api_contract_net.xgc";
  save(net, path);
  Net other;
  load(other, path);
  EXPECT_EQ(other.fc1.weight.to_vector(), net.fc1.weight.to_vector());
  std::remove(path.c_str());
}

TEST(ApiContract, SectionOptimAndTheUsageExample) {
  xg::manual_seed(0);
  std::vector<std::pair<xg::Tensor, xg::Tensor>> batches;
  for (int i = 0; i < 4; ++i) batches.emplace_back(xg::randn({8, 64}), xg::tensor({0, 1, 2, 3, 4, 5, 6, 7}));
  xg::nn::Sequential model(xg::nn::Linear(64, 128), xg::nn::ReLU(), xg::nn::Linear(128, 10));
  xg::optim::Momentum opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  double first = -1, last = 0;
  for (int epoch = 0; epoch < 30; ++epoch)
    for (auto [x, y] : batches) {
      opt.zero_grad();
      auto loss = xg::nn::functional::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      if (first < 0) first = loss.item();
      last = loss.item();
    }
  EXPECT_LT(last, first);

  xg::optim::SGD sgd(model.parameters(), xg::optim::SGDOptions{.lr = 0.1, .weight_decay = 0});
  xg::optim::Momentum nesterov(model.parameters(),
                               {.lr = 0.1, .momentum = 0.9, .dampening = 0, .nesterov = true, .weight_decay = 1e-4});
  xg::optim::Optimizer& base = sgd;
  base.zero_grad();
  base.step();
  nesterov.step();
}

}  // namespace
