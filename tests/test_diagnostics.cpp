// Forward hooks and GradientMonitor: each statistic checked against a value computed by hand
// from the same tensors.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <nn/diagnostics.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace xg::nn {
namespace {

double norm_of(const Tensor& t) {
  double s = 0;
  for (double v : t.to_vector()) s += v * v;
  return std::sqrt(s);
}

TEST(ForwardHook, RunsAfterForwardThroughSequentialAndCanBeRemoved) {
  manual_seed(0);
  Linear inner(3, 2);
  Sequential model(inner, ReLU());
  int calls = 0;
  Shape seen_in, seen_out;
  auto handle = inner.register_forward_hook([&](Module& m, const Tensor& in, const Tensor& out) {
    ++calls;
    seen_in = in.shape();
    seen_out = out.shape();
    EXPECT_EQ(m.repr(), "Linear(in=3, out=2, bias=true)");
  });
  model(randn({5, 3}));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen_in, (Shape{5, 3}));
  EXPECT_EQ(seen_out, (Shape{5, 2}));
  inner(randn({1, 3}));  // the registered copy and this handle share their hooks
  EXPECT_EQ(calls, 2);
  handle.remove();
  handle.remove();  // twice: nothing
  model(randn({5, 3}));
  EXPECT_EQ(calls, 2);
  EXPECT_THROW(inner.register_forward_hook(ForwardHook{}), ValueError);
}

TEST(ForwardHook, HandleOutlivingItsModuleIsHarmless) {
  HookHandle handle;
  {
    ReLU relu;
    handle = relu.register_forward_hook([](Module&, const Tensor&, const Tensor&) {});
  }
  handle.remove();
}

// Linear(2,3) → ReLU → Linear(3,1) in float64 with weights chosen so that unit 0 of the hidden
// layer is negative for every sample (dead) and the others are positive.
struct SmallNet {
  Linear fc1{2, 3}, fc2{3, 1};
  Sequential model{fc1, ReLU(), fc2};
  Tensor x = tensor({{1.0, 2.0}, {0.5, -1.0}, {2.0, 0.5}, {-1.0, 1.0}});
  Tensor y = tensor({{1.0}, {0.0}, {2.0}, {-1.0}});

  SmallNet() {
    NoGradGuard no_grad;
    fc1.weight.copy_(tensor({{-1.0, -0.5}, {0.3, 0.2}, {0.1, 0.4}}));
    fc1.bias.copy_(tensor({-5.0, 2.0, 1.0}));
    fc2.weight.copy_(tensor({{0.5, -0.7, 0.9}}));
    fc2.bias.copy_(tensor({0.1}));
  }
  Tensor loss() { return functional::mse_loss(model(x), y); }
};

TEST(GradientMonitor, NormsRatiosAndDeadUnitsMatchHandComputation) {
  SmallNet net;
  GradientMonitor monitor(net.model);
  net.loss().backward();
  const GradientReport r = monitor.check();

  ASSERT_EQ(r.layers.size(), 3u);  // fc1, relu, fc2
  EXPECT_EQ(r.layers[0].name, "0");
  EXPECT_EQ(r.layers[1].name, "1");
  EXPECT_EQ(r.layers[1].kind, "ReLU()");
  EXPECT_TRUE(r.layers[1].is_activation);
  EXPECT_FALSE(r.layers[1].has_parameters);
  ASSERT_EQ(r.parameters.size(), 4u);
  EXPECT_EQ(r.parameters[0].name, "0.weight");
  EXPECT_EQ(r.parameters[3].name, "2.bias");

  const double gw1 = norm_of(net.fc1.weight.grad()), gb1 = norm_of(net.fc1.bias.grad());
  const double w1 = norm_of(net.fc1.weight), b1 = norm_of(net.fc1.bias);
  EXPECT_NEAR(r.parameters[0].grad_norm, gw1, 1e-6);
  EXPECT_NEAR(r.parameters[0].weight_norm, w1, 1e-6);
  EXPECT_NEAR(r.parameters[0].grad_to_weight, gw1 / w1, 1e-6);
  EXPECT_NEAR(r.layers[0].grad_norm, std::hypot(gw1, gb1), 1e-6);
  EXPECT_NEAR(r.layers[0].weight_norm, std::hypot(w1, b1), 1e-6);
  const double g2 = std::hypot(norm_of(net.fc2.weight.grad()), norm_of(net.fc2.bias.grad()));
  EXPECT_NEAR(r.layers[2].grad_norm, g2, 1e-6);
  EXPECT_NEAR(r.first_to_last, std::hypot(gw1, gb1) / g2, 1e-6);
  EXPECT_NEAR(r.layers[0].grad_to_last, r.first_to_last, 1e-12);
  EXPECT_NEAR(r.layers[2].grad_to_last, 1.0, 1e-12);
  // Hidden unit 0 is −x₁ − 0.5x₂ − 5 < 0 on all four samples; units 1 and 2 are positive on some.
  EXPECT_DOUBLE_EQ(r.layers[1].dead_fraction, 1.0 / 3.0);
  EXPECT_TRUE(std::isnan(r.layers[1].saturated_fraction));
  EXPECT_TRUE(std::isnan(r.layers[0].update_to_weight));  // no step measured yet
  EXPECT_FALSE(r.any_exploding);
}

TEST(GradientMonitor, UpdateRatioOfAnSgdStepIsLrTimesGradOverWeight) {
  SmallNet net;
  GradientMonitor monitor(net.model);
  optim::SGD sgd(net.model.parameters(), {.lr = 0.1});
  net.loss().backward();
  const double g = norm_of(net.fc2.weight.grad()), w = norm_of(net.fc2.weight);
  GradientReport r = monitor.step(sgd);
  EXPECT_NEAR(r.parameters[2].update_to_weight, 0.1 * g / w, 1e-6);
  EXPECT_NEAR(r.parameters[2].update_to_weight, 0.1 * r.parameters[2].grad_to_weight, 1e-6);
  EXPECT_FALSE(std::isnan(r.layers[0].update_to_weight));
  EXPECT_TRUE(std::isnan(r.layers[1].update_to_weight));  // the activation row
  // A stale report cannot be measured again.
  EXPECT_THROW(monitor.measure_update(r), ValueError);
}

TEST(GradientMonitor, SaturatedSigmoidAndTanhUnits) {
  Sequential model{Sigmoid(), Tanh()};
  GradientMonitor monitor(model, {.saturation_margin = 0.01});
  // sigmoid: σ(−10) ≈ 4.5e-5 and σ(8) ≈ 0.99966 are saturated, σ(0), σ(1) are not.
  // tanh of those outputs (all in (0, 1)): |tanh| ≤ tanh(1) ≈ 0.76 < 0.98, none saturated.
  model(tensor({{-10.0, 0.0}, {1.0, 8.0}}));
  auto r = monitor.check();
  ASSERT_EQ(r.layers.size(), 2u);
  EXPECT_DOUBLE_EQ(r.layers[0].saturated_fraction, 0.5);
  EXPECT_DOUBLE_EQ(r.layers[1].saturated_fraction, 0.0);
  EXPECT_TRUE(std::isnan(r.layers[0].dead_fraction));
  EXPECT_TRUE(std::isnan(r.first_to_last));  // no parameter layers
}

TEST(GradientMonitor, FlagsVanishingInADeepSigmoidNetAndNotInAnIdentityLikeReluNet) {
  manual_seed(3);
  auto deep = [](bool sigmoid) {
    Sequential s;
    for (int i = 0; i < 12; ++i) {
      Linear l(16, 16);
      if (sigmoid) {
        init::normal_(l.weight, 0.0, 0.1);
      } else {
        NoGradGuard no_grad;
        std::vector<double> identity(16 * 16, 0.0);
        for (int k = 0; k < 16; ++k) identity[k * 17] = 1.0;
        l.weight.copy_(from_vector(identity, {16, 16}));
        l.bias.zero_();
      }
      s.push_back(l);
      if (sigmoid) s.push_back(Sigmoid());
      else s.push_back(ReLU());
    }
    return s;
  };
  const auto x = rand({8, 16});

  Sequential sig = deep(true);
  GradientMonitor sig_monitor(sig);
  sig(x).sum().backward();
  const auto rs = sig_monitor.check();
  EXPECT_TRUE(rs.any_vanishing);
  EXPECT_TRUE(rs.layers.front().vanishing);
  EXPECT_LT(rs.first_to_last, 1e-6);  // ≤ (0.25 · ‖W‖)^11

  Sequential relu = deep(false);
  GradientMonitor relu_monitor(relu);
  relu(x).sum().backward();
  const auto rr = relu_monitor.check();
  EXPECT_FALSE(rr.any_vanishing) << rr.to_table();
  EXPECT_FALSE(rr.any_exploding) << rr.to_table();
  EXPECT_NEAR(rr.first_to_last, 1.0, 1e-6);  // identity weights: the same gradient in every layer
}

TEST(GradientMonitor, FlagsExplodingAndNonFiniteGradients) {
  Linear l(2, 2, false);
  GradientMonitor monitor(l, {.exploding_relative = 10});
  {
    NoGradGuard no_grad;
    l.weight.copy_(tensor({{1e-3, 0.0}, {0.0, 1e-3}}));
  }
  (l(tensor({{100.0, 100.0}})).sum()).backward();  // ‖g‖/‖w‖ = 1e5
  auto r = monitor.check();
  EXPECT_TRUE(r.layers[0].exploding);
  EXPECT_TRUE(r.any_exploding);
  l.zero_grad();
  (l(tensor({{std::nan(""), 1.0}})).sum()).backward();
  EXPECT_TRUE(monitor.check().layers[0].exploding);
}

TEST(GradientMonitor, TableCsvAndRecordedActivations) {
  SmallNet net;
  GradientMonitor monitor(net.model);
  auto h = net.model(net.x);
  monitor.record_activation("output.sigmoid", "sigmoid", sigmoid(h * 100.0));
  functional::mse_loss(h, net.y).backward();
  const auto r = monitor.check();
  ASSERT_EQ(r.layers.size(), 4u);
  EXPECT_EQ(r.layers[3].name, "output.sigmoid");
  EXPECT_FALSE(std::isnan(r.layers[3].saturated_fraction));

  const std::string table = r.to_table();
  EXPECT_NE(table.find("grad norm"), std::string::npos);
  EXPECT_NE(table.find("Linear(in=2, out=3, bias=true)"), std::string::npos);
  EXPECT_NE(table.find("33.3%"), std::string::npos);  // the dead unit
  std::ostringstream streamed;
  streamed << r;
  EXPECT_EQ(streamed.str(), table);

  const std::string csv = r.to_csv();
  EXPECT_EQ(csv.rfind("step,level,name,kind,grad_norm", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 4 + 4);  // header, layers, parameters
  EXPECT_NE(csv.find("0,parameter,0.weight,,"), std::string::npos);
  EXPECT_NE(csv.find("\"Linear(in=2, out=3, bias=true)\""), std::string::npos);  // quoted: has commas
  EXPECT_EQ(r.to_csv(false).find("step,"), std::string::npos);

  EXPECT_THROW(monitor.record_activation("x", "softmax", h), ValueError);
}

TEST(GradientMonitor, RejectsBadOptionsAndRemovesItsHooks) {
  ReLU relu;
  EXPECT_THROW(GradientMonitor(relu, {.shrink_factor = 1.0}), ValueError);
  EXPECT_THROW(GradientMonitor(relu, {.saturation_margin = 0.5}), ValueError);
  EXPECT_THROW(GradientMonitor(relu, {.vanishing_relative = 1, .exploding_relative = 1}), ValueError);
  {
    GradientMonitor monitor(relu);
    relu(tensor({1.0, -1.0}));
    EXPECT_DOUBLE_EQ(monitor.check().layers[0].dead_fraction, 0.5);  // one sample, 2 features
  }
  relu(tensor({1.0, -1.0}));  // the monitor's hook is gone: nothing dangles
}

}  // namespace
}  // namespace xg::nn
