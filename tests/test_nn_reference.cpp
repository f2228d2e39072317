// Every nn module and loss against PyTorch's numbers, for fixed weights and inputs.
//
// Conventions (the same in every test below):
//  - Inputs are float64. Parameters stay float32 (the modules' dtype) but hold dyadic values
//    (multiples of 1/64) that float32 represents exactly, so the float64 computation that a
//    float32 parameter meets a float64 input in (the float32 operand is cast up) sees exactly the
//    numbers that PyTorch sees in the reference.
//  - The references come from PyTorch 1.13 in float64; the lines that compute them are in the
//    comment above each block (`from common import *` stands for
//    `import torch, math; import torch.nn.functional as F; torch.set_default_dtype(torch.float64)`).
//    Run them with /usr/bin/python3 to recompute; print(t.tolist()) gives the values.
//  - float64 results are compared at 1e-12 (relative and absolute); float32 results (gradients
//    of float32 parameters, running statistics, anything computed from them) at 1e-6.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <nn/nn.hpp>
#include <string>
#include <vector>

namespace xg {
namespace {

namespace F = nn::functional;
using nn::Reduction;
using Values = std::vector<double>;

constexpr double kTight = 1e-12;  // float64 results
constexpr double kSingle = 1e-6;  // float32 results

Tensor f64(const Values& v, Shape shape, bool requires_grad = false) {
  Tensor t = from_vector(v, std::move(shape), kFloat64);
  if (requires_grad) t.requires_grad_(true);
  return t;
}

// Copies values into a (float32) parameter or buffer in place.
void set(Tensor t, const Values& v) {
  NoGradGuard no_grad;
  t.copy_(from_vector(v, t.shape(), kFloat64));
}

// |actual − expected| ≤ tol·(1 + |expected|) element by element; ±inf must match exactly.
void expect_close(const Tensor& actual, const Values& expected, double tol, const std::string& what) {
  ASSERT_TRUE(actual.defined()) << what << ": undefined";
  const Values a = actual.to_vector();
  ASSERT_EQ(a.size(), expected.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::isinf(expected[i])) {
      EXPECT_EQ(a[i], expected[i]) << what << " element " << i;
    } else {
      EXPECT_NEAR(a[i], expected[i], tol * (1 + std::abs(expected[i]))) << what << " element " << i;
    }
  }
}

void expect_all(const Tensor& t, double value, const std::string& what) {
  for (double v : t.to_vector()) EXPECT_EQ(v, value) << what;
}

template <class E, class Fn>
void expect_error(Fn f, std::initializer_list<const char*> fragments) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const char* frag : fragments)
      EXPECT_NE(what.find(frag), std::string::npos) << "'" << frag << "' not in: " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// ================================================================================== Linear

// PyTorch:
//   W = torch.tensor([[0.5, -0.25, 0.125], [-0.75, 1.0, 0.375]], requires_grad=True)
//   b = torch.tensor([0.0625, -0.5], requires_grad=True)
//   x = torch.tensor([[0.3, -1.2, 0.7], [1.5, 0.2, -0.4], [-0.9, 0.8, 2.1], [0.0, -0.6, 0.05]],
//                    requires_grad=True)
//   G = torch.tensor([[1.0, -0.5], [0.25, 2.0], [-1.5, 0.75], [0.1, -0.3]])
//   y = F.linear(x, W, b); y.backward(G); print(y, W.grad, b.grad, x.grad, F.linear(x, W))
const Values kLinW{0.5, -0.25, 0.125, -0.75, 1.0, 0.375};
const Values kLinB{0.0625, -0.5};
const Values kLinX{0.3, -1.2, 0.7, 1.5, 0.2, -0.4, -0.9, 0.8, 2.1, 0.0, -0.6, 0.05};
const Values kLinG{1.0, -0.5, 0.25, 2.0, -1.5, 0.75, 0.1, -0.3};
const Values kLinY{
    0.6,     -1.6624999999999999, 0.7124999999999999, -1.5750000000000002, -0.325, 1.7625000000000002,
    0.21875, -1.0812499999999998};
const Values kLinDW{2.0250000000000004, -2.41, -2.5450000000000004, 2.175, 1.78, 0.41000000000000025};
const Values kLinDB{-0.15, 1.95};
const Values kLinDX{0.875,   -0.75,
                    -0.0625, -1.375,
                    1.9375,  0.78125,
                    -1.3125, 1.125,
                    0.09375, 0.27499999999999997,
                    -0.325,  -0.09999999999999999};
const Values kLinYNoBias{
    0.5375,  -1.1624999999999999, 0.6499999999999999, -1.0750000000000002, -0.3875, 2.2625,
    0.15625, -0.5812499999999999};

nn::Linear fixed_linear(bool bias = true) {
  nn::Linear lin(3, 2, bias);
  set(lin.weight, kLinW);
  if (bias) set(lin.bias, kLinB);
  return lin;
}

TEST(NnReference, LinearForwardAndGradients) {
  nn::Linear lin = fixed_linear();
  Tensor x = f64(kLinX, {4, 3}, true);
  Tensor y = lin(x);
  EXPECT_EQ(y.shape(), (Shape{4, 2}));
  EXPECT_EQ(y.dtype(), kFloat64);
  expect_close(y, kLinY, kTight, "y");
  y.backward(f64(kLinG, {4, 2}));
  expect_close(x.grad(), kLinDX, kTight, "dx");
  EXPECT_EQ(lin.weight.grad().dtype(), kFloat32);  // a parameter's gradient has its dtype
  expect_close(lin.weight.grad(), kLinDW, kSingle, "dW");
  expect_close(lin.bias.grad(), kLinDB, kSingle, "db");
}

TEST(NnReference, LinearOneDThreeDAndNoBias) {
  nn::Linear lin = fixed_linear();
  expect_close(lin(f64({0.3, -1.2, 0.7}, {3})), {kLinY[0], kLinY[1]}, kTight, "1-D");
  EXPECT_EQ(lin(f64({0.3, -1.2, 0.7}, {3})).shape(), Shape{2});
  Tensor y3 = lin(f64(kLinX, {2, 2, 3}));
  EXPECT_EQ(y3.shape(), (Shape{2, 2, 2}));
  expect_close(y3, kLinY, kTight, "3-D");
  nn::Linear no_bias = fixed_linear(false);
  expect_close(no_bias(f64(kLinX, {4, 3})), kLinYNoBias, kTight, "no bias");
}

TEST(NnReference, LinearInFloat32) {  // the everyday path: float32 input, float32 result
  nn::Linear lin = fixed_linear();
  Tensor x = from_vector(kLinX, {4, 3});
  x.requires_grad_(true);
  Tensor y = lin(x);
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_close(y, kLinY, kSingle, "y");
  y.backward(from_vector(kLinG, {4, 2}));
  expect_close(x.grad(), kLinDX, kSingle, "dx");
  expect_close(lin.weight.grad(), kLinDW, kSingle, "dW");
  expect_close(lin.bias.grad(), kLinDB, kSingle, "db");
}

// ================================================================================== Sequential

// PyTorch:
//   m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1)).double()
//   with torch.no_grad():
//       m[0].weight.copy_(torch.tensor([[0.5, -0.25, 0.125], [-0.75, 1.0, 0.375]]))
//       m[0].bias.copy_(torch.tensor([0.0625, -0.5]))
//       m[2].weight.copy_(torch.tensor([[1.5, -0.625]])); m[2].bias.copy_(torch.tensor([0.25]))
//   x = torch.tensor([[0.3, -1.2, 0.7], [1.5, 0.2, -0.4], [-0.9, 0.8, 2.1]], requires_grad=True)
//   y = m(x); y.sum().backward()
//   print(y, x.grad, [(n, p.grad) for n, p in m.named_parameters()])
TEST(NnReference, Sequential) {
  nn::Sequential m(fixed_linear(), nn::Tanh(), nn::Linear(2, 1));
  const auto named = m.named_parameters();
  ASSERT_EQ(named.size(), 4u);
  EXPECT_EQ(named[0].first, "0.weight");
  EXPECT_EQ(named[1].first, "0.bias");
  EXPECT_EQ(named[2].first, "2.weight");
  EXPECT_EQ(named[3].first, "2.bias");
  set(named[2].second, {1.5, -0.625});
  set(named[3].second, {0.25});
  Tensor x = f64({0.3, -1.2, 0.7, 1.5, 0.2, -0.4, -0.9, 0.8, 2.1}, {3, 3}, true);
  Tensor y = m(x);
  EXPECT_EQ(y.shape(), (Shape{3, 1}));
  expect_close(y, {1.6371700635803559, 1.7419990887778392, -0.8102698701448139}, kTight, "y");
  y.sum().backward();
  expect_close(
      x.grad(),
      {0.5965290337681661, -0.35063594340720733, 0.10199797457122975, 0.5427499078570496, -0.3329418055790201,
       0.08027731047881666, 0.7281507572537581, -0.40749838981070957, 0.1429569792479921},
      kTight, "dx");
  expect_close(named[0].second.grad(),
               {0.5099413918939251, -0.011623068173360451, 3.2114421061146983, -0.11036959258757238,
                0.025270292080936986, -0.1651545302272526},
               kSingle, "d 0.weight");
  expect_close(named[1].second.grad(), {3.3571923033000677, -0.25177806297191996}, kSingle, "d 0.bias");
  expect_close(named[2].second.grad(), {0.8352707660033178, -0.9055890131334472}, kSingle, "d 2.weight");
  expect_close(named[3].second.grad(), {3.0}, kSingle, "d 2.bias");
}

// ================================================================================== activations

// PyTorch:
//   x0 = torch.tensor([[-2.5, -0.5, 0.0, 0.3], [1.7, -30.0, 30.0, -0.01]])
//   G = torch.tensor([[0.5, -1.0, 2.0, 1.5], [-0.25, 0.75, 1.25, -2.0]])
//   for f in [torch.relu, torch.sigmoid, torch.tanh, lambda x: F.leaky_relu(x, 0.2), F.leaky_relu,
//             lambda x: F.elu(x, 0.7), F.elu]:
//       x = x0.clone().requires_grad_(); y = f(x); y.backward(G); print(y, x.grad)
// (x = 0 is included on purpose: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = α, as PyTorch.)
const Values kActX{-2.5, -0.5, 0.0, 0.3, 1.7, -30.0, 30.0, -0.01};
const Values kActG{0.5, -1.0, 2.0, 1.5, -0.25, 0.75, 1.25, -2.0};

struct ActivationCase {
  const char* name;
  std::function<Tensor(const Tensor&)> module;
  Values y, dx;
};

TEST(NnReference, Activations) {
  nn::ReLU relu;
  nn::Sigmoid sigmoid;
  nn::Tanh tanh_m;
  nn::LeakyReLU leaky(0.2), leaky_default;
  nn::ELU elu(0.7), elu_default;
  const std::vector<ActivationCase> cases{
      {"ReLU", relu, {0.0, 0.0, 0.0, 0.3, 1.7, 0.0, 30.0, 0.0}, {0.0, 0.0, 0.0, 1.5, -0.25, 0.0, 1.25, 0.0}},
      {"Sigmoid",
       sigmoid,
       {0.07585818002124355, 0.3775406687981454, 0.5, 0.574442516811659, 0.8455347349164652,
        9.357622968839299e-14, 0.9999999999999065, 0.49750002083312506},
       {0.035051858272554075, -0.2350037122015945, 0.5, 0.3666874675361188, -0.03265143674155202,
        7.018217226628818e-14, 1.168509733417868e-13, -0.4999875002083304}},
      {"Tanh",
       tanh_m,
       {-0.9866142981514303, -0.46211715726000974, 0.0, 0.2913126124515909, 0.935409070603099, -1.0, 1.0,
        -0.00999966667999946},
       {0.013296113341580285, -0.7864477329659274, 2.0, 1.3727054427399437, -0.03125246765836165, 0.0, 0.0,
        -1.9998000133325777}},
      {"LeakyReLU(0.2)",
       leaky,
       {-0.5, -0.1, 0.0, 0.3, 1.7, -6.0, 30.0, -0.002},
       {0.1, -0.2, 0.4, 1.5, -0.25, 0.15000000000000002, 1.25, -0.4}},
      {"LeakyReLU()",
       leaky_default,
       {-0.025, -0.005, 0.0, 0.3, 1.7, -0.3, 30.0, -0.0001},
       {0.005, -0.01, 0.02, 1.5, -0.25, 0.0075, 1.25, -0.02}},
      {"ELU(0.7)",
       elu,
       {-0.6425405009632708, -0.2754285382011566, 0.0, 0.3, 1.7, -0.6999999999999345, 30.0,
        -0.006965116375582325},
       {0.02872974951836458, -0.42457146179884336, 1.4, 1.5, -0.25, 4.912752058641091e-14, 1.25,
        -1.3860697672488353}},
      {"ELU()",
       elu_default,
       {-0.9179150013761012, -0.3934693402873666, 0.0, 0.3, 1.7, -0.9999999999999064, 30.0,
        -0.009950166250831893},
       {0.0410424993119494, -0.6065306597126334, 2.0, 1.5, -0.25, 7.018217226630131e-14, 1.25,
        -1.9800996674983362}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor x = f64(kActX, {2, 4}, true);
    Tensor y = c.module(x);
    EXPECT_EQ(y.shape(), (Shape{2, 4}));
    expect_close(y, c.y, kTight, "y");
    y.backward(f64(kActG, {2, 4}));
    expect_close(x.grad(), c.dx, kTight, "dx");
  }
  EXPECT_EQ(leaky_default.negative_slope(), 0.01);
  EXPECT_EQ(elu_default.alpha(), 1.0);
}

// PyTorch:
//   G = torch.tensor([[1.0, -2.0, 0.5], [0.25, 1.5, -0.75]])
//   x = torch.tensor([[-2.0, 0.5, 0.0], [-0.3, 1.2, -1.1]], requires_grad=True)
//   w = torch.tensor([0.125], requires_grad=True)
//   y = F.prelu(x, w); y.backward(G); print(y, x.grad, w.grad)
TEST(NnReference, PReLUOneWeight) {
  nn::PReLU prelu;
  expect_all(prelu.weight, 0.25, "default init");
  EXPECT_EQ(prelu.weight.shape(), Shape{1});
  set(prelu.weight, {0.125});
  Tensor x = f64({-2.0, 0.5, 0.0, -0.3, 1.2, -1.1}, {2, 3}, true);
  Tensor y = prelu(x);
  expect_close(y, {-0.25, 0.5, 0.0, -0.0375, 1.2, -0.1375}, kTight, "y");
  y.backward(f64({1.0, -2.0, 0.5, 0.25, 1.5, -0.75}, {2, 3}));
  expect_close(x.grad(), {0.125, -2.0, 0.0625, 0.03125, 1.5, -0.09375}, kTight, "dx");
  expect_close(prelu.weight.grad(), {-1.2499999999999998}, kSingle, "dw");
}

// PyTorch (G as above):
//   w = torch.tensor([0.25, -0.5, 0.125], requires_grad=True)
//   x = torch.tensor([[-2.0, 0.5, -0.4], [-0.3, -1.2, 1.1]], requires_grad=True)
//   y = F.prelu(x, w); y.backward(G); print(y, x.grad, w.grad)
//   w.grad = None
//   x = torch.tensor([[[-1.0, 2.0], [0.5, -0.5], [-3.0, -0.2]], [[0.7, -0.9], [-1.5, 0.0], [2.5, -0.6]]],
//                    requires_grad=True)
//   G3 = torch.tensor([[[1.0, 0.5], [-1.0, 2.0], [0.25, -0.5]], [[1.5, -2.0], [0.75, 1.0], [-0.25, 3.0]]])
//   y = F.prelu(x, w); y.backward(G3); print(y, x.grad, w.grad)
TEST(NnReference, PReLUPerChannelWeights) {
  nn::PReLU prelu(3, 0.1);
  EXPECT_EQ(prelu.weight.shape(), Shape{3});
  expect_close(prelu.weight, {0.1, 0.1, 0.1}, kSingle, "init");
  set(prelu.weight, {0.25, -0.5, 0.125});
  Tensor x = f64({-2.0, 0.5, -0.4, -0.3, -1.2, 1.1}, {2, 3}, true);
  Tensor y = prelu(x);
  expect_close(y, {-0.5, 0.5, -0.05, -0.075, 0.6, 1.1}, kTight, "y {N, C}");
  y.backward(f64({1.0, -2.0, 0.5, 0.25, 1.5, -0.75}, {2, 3}));
  expect_close(x.grad(), {0.25, -2.0, 0.0625, 0.0625, -0.75, -0.75}, kTight, "dx {N, C}");
  expect_close(prelu.weight.grad(), {-2.075, -1.7999999999999998, -0.2}, kSingle, "dw {N, C}");

  prelu.zero_grad();
  Tensor x3 = f64({-1.0, 2.0, 0.5, -0.5, -3.0, -0.2, 0.7, -0.9, -1.5, 0.0, 2.5, -0.6}, {2, 3, 2}, true);
  Tensor y3 = prelu(x3);
  expect_close(y3, {-0.25, 2.0, 0.5, 0.25, -0.375, -0.025, 0.7, -0.225, 0.75, -0.0, 2.5, -0.075}, kTight,
               "y {N, C, L}");
  y3.backward(f64({1.0, 0.5, -1.0, 2.0, 0.25, -0.5, 1.5, -2.0, 0.75, 1.0, -0.25, 3.0}, {2, 3, 2}));
  expect_close(x3.grad(), {0.25, 0.5, -1.0, -1.0, 0.03125, -0.0625, 1.5, -0.5, -0.375, -0.5, -0.25, 0.375},
               kTight, "dx {N, C, L}");
  expect_close(prelu.weight.grad(), {0.8, -2.125, -2.4499999999999997}, kSingle, "dw {N, C, L}");
}

// PyTorch:
//   x = torch.tensor([[0.5, -1.0, 2.0], [3.0, 0.1, -0.7]], requires_grad=True)
//   G = torch.tensor([[1.0, -0.5, 0.25], [0.3, 2.0, -1.0]])
//   y = F.softmax(x, -1); y.backward(G); print(y, x.grad)
//   x.grad = None; y = F.softmax(x, 0); y.backward(G); print(y, x.grad)
TEST(NnReference, Softmax) {
  const Values g{1.0, -0.5, 0.25, 0.3, 2.0, -1.0};
  {
    nn::Softmax softmax;  // dim = -1
    Tensor x = f64({0.5, -1.0, 2.0, 3.0, 0.1, -0.7}, {2, 3}, true);
    Tensor y = softmax(x);
    expect_close(y,
                 {0.1752903921400367, 0.039112573270687456, 0.7855970345892759, 0.9261431008861382,
                  0.05095937564378134, 0.02289752347008064},
                 kTight, "y dim -1");
    y.backward(f64(g, {2, 3}));
    expect_close(x.grad(),
                 {0.11356479665224019, -0.03332912864179296, -0.08023566801044721, -0.052664347696568796,
                  0.08373317660199282, -0.03106882890542411},
                 kTight, "dx dim -1");
  }
  {
    nn::Softmax softmax(0);
    Tensor x = f64({0.5, -1.0, 2.0, 3.0, 0.1, -0.7}, {2, 3}, true);
    Tensor y = softmax(x);
    expect_close(y,
                 {0.07585818002124356, 0.2497398944048824, 0.9370266439430035, 0.9241418199787566,
                  0.7502601055951177, 0.06297335605699649},
                 kTight, "y dim 0");
    y.backward(f64(g, {2, 3}));
    expect_close(x.grad(),
                 {0.04907260158157571, -0.4684246988688015, 0.07375964060489405, -0.04907260158157576,
                  0.46842469886880145, -0.07375964060489403},
                 kTight, "dx dim 0");
  }
}

TEST(NnReference, Identity) {  // torch.nn.Identity()(x) is x
  nn::Identity id;
  Tensor x = f64({-1.5, 0.0, 2.25}, {3}, true);
  Tensor y = id(x);
  expect_close(y, {-1.5, 0.0, 2.25}, 0, "y");
  (y * f64({1.0, -2.0, 0.5}, {3})).sum().backward();
  expect_close(x.grad(), {1.0, -2.0, 0.5}, 0, "dx");
}

// PyTorch: torch.heaviside(torch.tensor([-1.5, 0.0, 0.0, 2.0, -0.7, 1e-300]), torch.tensor(0.0))
//          -> [0, 0, 0, 1, 0, 1]   (PyTorch's heaviside has no derivative; xg's step has zero)
TEST(NnReference, StepIsHeavisideWithZeroAtZero) {
  nn::Step step;
  Tensor x = f64({-1.5, 0.0, -0.0, 2.0, -0.7, 1e-300}, {6}, true);
  Tensor y = step(x);
  expect_close(y, {0, 0, 0, 1, 0, 1}, 0, "y");
  (y * f64({1, 2, 3, 4, 5, 6}, {6})).sum().backward();
  ASSERT_TRUE(x.grad().defined());
  expect_all(x.grad(), 0.0, "dx");
}

// ================================================================================== BatchNorm1d

// PyTorch:
//   bn = torch.nn.BatchNorm1d(3).double()
//   with torch.no_grad():
//       bn.weight.copy_(torch.tensor([1.5, -0.5, 0.25])); bn.bias.copy_(torch.tensor([0.125, 0.0, -1.0]))
//   x = torch.tensor([[0.3, -1.2, 0.7], [1.5, 0.2, -0.4], [-0.9, 0.8, 2.1], [0.0, -0.6, 0.05]],
//                    requires_grad=True)
//   G = torch.tensor([[1.0, -0.5, 0.25], [0.3, 2.0, -1.0], [-0.7, 0.1, 0.6], [0.2, -1.5, 1.25]])
//   y = bn(x); y.backward(G); print(y, x.grad, bn.weight.grad, bn.bias.grad)
//   print(bn.running_mean, bn.running_var)
//   bn(torch.tensor([[1.0, 2.0, -3.0], [0.5, -0.25, 0.0], [2.0, 1.0, 1.0]]))
//   print(bn.running_mean, bn.running_var)
//   bn.eval(); print(bn(x))
TEST(NnReference, BatchNorm1dTwoD) {
  nn::BatchNorm1d bn(3);
  expect_all(bn.weight, 1.0, "weight init");
  expect_all(bn.bias, 0.0, "bias init");
  expect_all(bn.running_mean, 0.0, "running_mean init");
  expect_all(bn.running_var, 1.0, "running_var init");
  set(bn.weight, {1.5, -0.5, 0.25});
  set(bn.bias, {0.125, 0.0, -1.0});
  const Values xv{0.3, -1.2, 0.7, 1.5, 0.2, -0.4, -0.9, 0.8, 2.1, 0.0, -0.6, 0.05};
  Tensor x = f64(xv, {4, 3}, true);
  EXPECT_TRUE(bn.is_training());
  Tensor y = bn(x);
  expect_close(y,
               {0.2560547192419912, 0.6565265046117612, -0.976818780373082, 2.3529302271138506,
                -0.26261060184470447, -1.2682398271114792, -1.8408207886298682, -0.6565265046117612,
                -0.6059192663423949, -0.26816415772597363, 0.26261060184470447, -1.149022126173044},
               kTight, "y");
  y.backward(f64({1.0, -0.5, 0.25, 0.3, 2.0, -1.0, -0.7, 0.1, 0.6, 0.2, -1.5, 1.25}, {4, 3}));
  expect_close(x.grad(),
               {1.3445621184302925, -0.22128495178953828, -0.014587465708911918, -0.7322934502434467,
                -1.0702552999239432, -0.24562561910667488, -0.7723333286396872, 0.5167218788648309,
                -0.04929074882077721, 0.16006466045284148, 0.7748183728486506, 0.30950383363636397},
               kTight, "dx");
  expect_close(bn.weight.grad(), {1.3979170052479062, 2.626106018447045, 1.2968236579858672}, kSingle, "dw");
  expect_close(bn.bias.grad(), {0.8, 0.10000000000000009, 1.1}, kSingle, "db");
  expect_close(bn.running_mean, {0.022500000000000003, -0.02, 0.06125}, kSingle, "running_mean 1");
  expect_close(bn.running_var, {0.9982500000000001, 0.9773333333333334, 1.0187291666666667}, kSingle,
               "running_var 1 (unbiased)");
  EXPECT_FALSE(bn.running_mean.requires_grad());

  bn(f64({1.0, 2.0, -3.0, 0.5, -0.25, 0.0, 2.0, 1.0, 1.0}, {3, 3}));
  expect_close(bn.running_mean, {0.1369166666666667, 0.07366666666666667, -0.011541666666666665}, kSingle,
               "running_mean 2");
  expect_close(bn.running_var, {0.9567583333333335, 1.0066833333333334, 1.3501895833333335}, kSingle,
               "running_var 2");

  bn.eval();
  const Values before_mean = bn.running_mean.to_vector();
  expect_close(bn(f64(xv, {4, 3})),
               {0.37509064248740137, 0.6347127040852032, -0.8469119255293014, 2.215307940299655,
                -0.06295632422096102, -1.083576747572192, -1.4651266553248523, -0.3619573363521743,
                -0.5457021520201679, -0.08496368196566202, 0.33571169195399, -0.9867593203728277},
               kSingle, "y eval");
  expect_close(bn.running_mean, before_mean, 0, "eval leaves the running statistics alone");
  // Eval mode accepts a single sample (no batch statistics needed).
  EXPECT_EQ(bn(f64({0.3, -1.2, 0.7}, {1, 3})).shape(), (Shape{1, 3}));
}

// PyTorch:
//   bn = torch.nn.BatchNorm1d(2, eps=1e-3, momentum=0.3).double()
//   with torch.no_grad():
//       bn.weight.copy_(torch.tensor([0.75, -2.0])); bn.bias.copy_(torch.tensor([0.5, 0.25]))
//   x = torch.tensor([[[0.3, -1.2, 0.7], [1.5, 0.2, -0.4]], [[-0.9, 0.8, 2.1], [0.0, -0.6, 0.05]]],
//                    requires_grad=True)
//   G = torch.tensor([[[1.0, -0.5, 0.25], [0.3, 2.0, -1.0]], [[-0.7, 0.1, 0.6], [0.2, -1.5, 1.25]]])
//   y = bn(x); y.backward(G); print(y, x.grad, bn.weight.grad, bn.bias.grad)
//   print(bn.running_mean, bn.running_var)
//   bn(torch.tensor([[[1.0, 2.0, -3.0], [0.5, -0.25, 0.0]], [[2.0, 1.0, 1.0], [-1.0, 0.75, 0.3]]]))
//   print(bn.running_mean, bn.running_var)
//   bn.eval(); print(bn(x))
TEST(NnReference, BatchNorm1dThreeDWithEpsAndMomentum) {
  nn::BatchNorm1d bn(2, 1e-3, 0.3);
  set(bn.weight, {0.75, -2.0});
  set(bn.bias, {0.5, 0.25});
  const Values xv{0.3, -1.2, 0.7, 1.5, 0.2, -0.4, -0.9, 0.8, 2.1, 0.0, -0.6, 0.05};
  Tensor x = f64(xv, {2, 2, 3}, true);
  Tensor y = bn(x);
  EXPECT_EQ(y.shape(), (Shape{2, 2, 3}));
  expect_close(y,
               {0.5, -0.5167230877629895, 0.7711261567367972, -3.830796973158666, 0.02741107419134542,
                1.8081224806605813, -0.31337847021039167, 0.8389076959209966, 1.7200677053155875,
                0.6209815430144241, 2.40169294948366, 0.4725889258086544},
               kTight, "y");
  y.backward(f64({1.0, -0.5, 0.25, 0.3, 2.0, -1.0, -0.7, 0.1, 0.6, 0.2, -1.5, 1.25}, {2, 2, 3}));
  expect_close(x.grad(),
               {0.5930884678617439, -0.03333253611528994, -0.019353631696005714, 2.8075463825610543,
                -5.1494239612252635, 2.4103078286023862, -0.24695603124087967, -0.14704607939136838,
                -0.14640018941820018, -0.25523148932373235, 3.4462922531539055, -3.259491013768351},
               kTight, "dx");
  expect_close(bn.weight.grad(), {2.548585873325894, 3.0513231912936387}, kSingle, "dw");
  expect_close(bn.bias.grad(), {0.75, 1.2499999999999998}, kSingle, "db");
  expect_close(bn.running_mean, {0.09, 0.03749999999999999}, kSingle, "running_mean 1");
  expect_close(bn.running_var, {1.1403999999999999, 0.8631249999999999}, kSingle, "running_var 1");
  bn(f64({1.0, 2.0, -3.0, 0.5, -0.25, 0.0, 2.0, 1.0, 1.0, -1.0, 0.75, 0.3}, {2, 2, 3}));
  expect_close(bn.running_mean, {0.263, 0.04124999999999999}, kSingle, "running_mean 2");
  expect_close(bn.running_var, {1.8382799999999997, 0.7211874999999999}, kSingle, "running_var 2");
  bn.eval();
  expect_close(bn(f64(xv, {2, 2, 3})),
               {0.5204615751598626, -0.30906174213186294, 0.7416677931043226, -3.1830954729193226,
                -0.12361021856105743, 1.288459898835065, -0.1431570786735179, 0.7969693475904377,
                1.5158895559099332, 0.3470798205709834, 1.7591499379671058, 0.2294073107879732},
               kSingle, "y eval");
}

// ================================================================================== Dropout

TEST(NnReference, DropoutEvalIsIdentity) {
  nn::Dropout drop(0.5);
  drop.eval();
  Tensor x = f64({1.0, -2.0, 3.5, 0.25}, {2, 2}, true);
  Tensor y = drop(x);
  expect_close(y, {1.0, -2.0, 3.5, 0.25}, 0, "y");
  y.sum().backward();
  expect_all(x.grad(), 1.0, "dx");
}

TEST(NnReference, DropoutTrainZeroesAFractionPAndScalesSurvivors) {
  for (double p : {0.1, 0.3, 0.5, 0.8}) {
    SCOPED_TRACE(p);
    manual_seed(11);
    nn::Dropout drop(p);
    Tensor x = ones({200, 500}, kFloat64);
    x.requires_grad_(true);
    Tensor y = drop(x);
    EXPECT_EQ(y.dtype(), kFloat64);
    std::size_t zeros_seen = 0;
    const double scale = 1.0 / (1.0 - p);
    for (double v : y.to_vector()) {
      if (v == 0) {
        ++zeros_seen;
      } else {
        EXPECT_NEAR(v, scale, 1e-12);
      }
    }
    const double n = static_cast<double>(y.numel());
    // The fraction of zeros is binomial: standard deviation √(p(1 − p)/n) ≤ 0.0016 here.
    EXPECT_NEAR(static_cast<double>(zeros_seen) / n, p, 0.01);
    // E[y] = x: the mean survives.
    EXPECT_NEAR(y.mean().item(), 1.0, 0.05);
    // The gradient is the mask itself.
    y.sum().backward();
    expect_close(x.grad(), y.to_vector(), 0, "dx = mask");
  }
}

TEST(NnReference, DropoutManualSeedReproducesTheMask) {
  nn::Dropout drop(0.4);
  const Tensor x = ones({50, 40});
  manual_seed(123);
  const Values a = drop(x).to_vector();
  manual_seed(123);
  const Values b = drop(x).to_vector();
  EXPECT_EQ(a, b);
  const Values c = drop(x).to_vector();  // the generator moved on: another mask
  EXPECT_NE(a, c);
}

TEST(NnReference, DropoutPZeroAndOne) {
  nn::Dropout keep(0.0), kill(1.0);
  Tensor x = f64({1.0, -2.0, 3.0}, {3}, true);
  expect_close(keep(x), {1.0, -2.0, 3.0}, 0, "p = 0");
  Tensor y = kill(x);
  expect_all(y, 0.0, "p = 1");
  y.sum().backward();
  expect_all(x.grad(), 0.0, "p = 1 gradient");  // finite zeros, no 0·∞
  EXPECT_EQ(kill.repr(), "Dropout(p=1)");
  EXPECT_EQ(nn::Dropout().p(), 0.5);
}

// ================================================================================== init

// PyTorch:
//   from torch.nn import init
//   [init.calculate_gain('linear'), init.calculate_gain('sigmoid'), init.calculate_gain('tanh'),
//    init.calculate_gain('relu'), init.calculate_gain('leaky_relu'), init.calculate_gain('leaky_relu', 0.2),
//    init.calculate_gain('leaky_relu', 0)]
TEST(NnReference, CalculateGain) {
  using nn::init::calculate_gain;
  using nn::init::Nonlinearity;
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::Linear), 1.0);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::Sigmoid), 1.0);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::Tanh), 1.6666666666666667);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::ReLU), 1.4142135623730951);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::LeakyReLU), 1.4141428569978354);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::LeakyReLU, 0.2), 1.3867504905630728);
  EXPECT_DOUBLE_EQ(calculate_gain(Nonlinearity::LeakyReLU, 0), 1.4142135623730951);
}

// PyTorch: init._calculate_fan_in_and_fan_out(torch.empty(400, 500)) -> (500, 400)
//          init._calculate_fan_in_and_fan_out(torch.empty(8, 4, 5))  -> (20, 40)
TEST(NnReference, Fans) {
  EXPECT_EQ(nn::init::calculate_fans({400, 500}), (std::pair<std::size_t, std::size_t>{500, 400}));
  EXPECT_EQ(nn::init::calculate_fans({8, 4, 5}), (std::pair<std::size_t, std::size_t>{20, 40}));
  // PyTorch refuses fewer than 2 dims; xg gives a 1-D tensor fan_in = fan_out = its length.
  EXPECT_EQ(nn::init::calculate_fans({7}), (std::pair<std::size_t, std::size_t>{7, 7}));
  EXPECT_THROW(nn::init::calculate_fans({}), ValueError);
}

struct Moments {
  double mean, std, max_abs;
};
Moments moments(const Tensor& t) {
  const Values v = t.to_vector();
  double s = 0, s2 = 0, m = 0;
  for (double x : v) {
    s += x;
    m = std::max(m, std::abs(x));
  }
  const double mean = s / static_cast<double>(v.size());
  for (double x : v) s2 += (x - mean) * (x - mean);
  return {mean, std::sqrt(s2 / static_cast<double>(v.size() - 1)), m};
}

// The bounds and standard deviations, from torch.nn.init's formulas on a {400, 500} weight
// (fan_in 500, fan_out 400):
//   xavier_uniform_: bound = gain·√(6/900)          = 0.08164965809277261 (gain 1)
//   xavier_normal_:  std   = gain·√(2/900)          = 0.04714045207910317
//   kaiming_uniform_ (a=0, fan_in):  √2·√(3/500)    = 0.10954451150103323
//   kaiming_uniform_ (fan_out):      √2·√(3/400)    = 0.12247448713915891
//   kaiming_uniform_ (a=√5):         √(1/3)·√(3/500) = 0.044721359549995794   (nn.Linear's init)
//   kaiming_normal_ (a=0, fan_in):   √2/√500        = 0.06324555320336758
//   kaiming_normal_ (a=0.2, fan_out): √(2/1.04)/√400 = 0.06933752452815364
//   kaiming_normal_ (tanh):          (5/3)/√500     = 0.07453559924999299
// and PyTorch's own samples (torch.manual_seed(0); w = init.xavier_uniform_(torch.empty(400, 500));
// w.abs().max(), w.std() -> 0.0816491, 0.0471404; likewise the others) sit on these values.
TEST(NnReference, InitBoundsAndStandardDeviations) {
  using nn::init::FanMode;
  using nn::init::Nonlinearity;
  manual_seed(0);
  const double rt3 = std::sqrt(3.0);
  auto check_uniform = [](const Tensor& w, double bound) {
    const Moments m = moments(w);
    EXPECT_LE(m.max_abs, bound * (1 + 1e-7));
    EXPECT_GE(m.max_abs, bound * 0.999);
    EXPECT_NEAR(m.std, bound / std::sqrt(3.0), 0.01 * bound);
    EXPECT_NEAR(m.mean, 0, 0.01 * bound);
  };
  auto check_normal = [](const Tensor& w, double std) {
    const Moments m = moments(w);
    EXPECT_NEAR(m.std, std, 0.01 * std);
    EXPECT_NEAR(m.mean, 0, 0.015 * std);
    EXPECT_GT(m.max_abs, 4 * std);  // 200,000 normal draws reach beyond 4σ
  };
  Tensor w = zeros({400, 500});
  {
    SCOPED_TRACE("xavier_uniform_");
    check_uniform(nn::init::xavier_uniform_(w), 0.08164965809277261);
  }
  {
    SCOPED_TRACE("xavier_uniform_ gain 2");
    check_uniform(nn::init::xavier_uniform_(w, 2.0), 2 * 0.08164965809277261);
  }
  {
    SCOPED_TRACE("xavier_normal_");
    check_normal(nn::init::xavier_normal_(w), 0.04714045207910317);
  }
  {
    SCOPED_TRACE("kaiming_uniform_ defaults");
    check_uniform(nn::init::kaiming_uniform_(w), 0.10954451150103323);
  }
  {
    SCOPED_TRACE("kaiming_uniform_ fan_out");
    check_uniform(nn::init::kaiming_uniform_(w, 0, FanMode::FanOut), 0.12247448713915891);
  }
  {
    SCOPED_TRACE("kaiming_uniform_ a = sqrt(5)");
    check_uniform(nn::init::kaiming_uniform_(w, std::sqrt(5.0)), 0.044721359549995794);
  }
  {
    SCOPED_TRACE("kaiming_uniform_ ReLU");
    check_uniform(nn::init::kaiming_uniform_(w, 0, FanMode::FanIn, Nonlinearity::ReLU), 0.10954451150103323);
  }
  {
    SCOPED_TRACE("kaiming_normal_ defaults");
    check_normal(nn::init::kaiming_normal_(w), 0.06324555320336758);
  }
  {
    SCOPED_TRACE("kaiming_normal_ a = 0.2, fan_out");
    check_normal(nn::init::kaiming_normal_(w, 0.2, FanMode::FanOut), 0.06933752452815364);
  }
  {
    SCOPED_TRACE("kaiming_normal_ tanh");
    check_normal(nn::init::kaiming_normal_(w, 0, FanMode::FanIn, Nonlinearity::Tanh), 0.07453559924999299);
  }
  {
    SCOPED_TRACE("kaiming_uniform_ on {64, 8, 5} (fan_in 40)");
    Tensor conv = zeros({64, 8, 5}, kFloat64);
    check_uniform(nn::init::kaiming_uniform_(conv), std::sqrt(2.0) * rt3 / std::sqrt(40.0));
  }
  // In place on a parameter (no NoGradGuard needed), and the handle is returned.
  nn::Linear lin(4, 3);
  Tensor& same = nn::init::constant_(lin.weight, 0.5);
  EXPECT_EQ(same.impl(), lin.weight.impl());
  expect_all(lin.weight, 0.5, "constant_");
  expect_all(nn::init::zeros_(lin.bias), 0.0, "zeros_");
  EXPECT_TRUE(lin.weight.requires_grad());
}

// ================================================================================== losses

// PyTorch:
//   p = torch.tensor([[0.5, -1.0, 2.0], [0.25, 3.0, -0.7]], requires_grad=True)
//   t = torch.tensor([[1.0, -0.5, 1.5], [0.0, 2.0, 0.3]], requires_grad=True)
//   F.mse_loss(p, t, reduction='none'); F.mse_loss(p, t, reduction='sum')
//   l = F.mse_loss(p, t); l.backward(); print(l, p.grad, t.grad)
TEST(NnReference, MseLoss) {
  const Values pv{0.5, -1.0, 2.0, 0.25, 3.0, -0.7}, tv{1.0, -0.5, 1.5, 0.0, 2.0, 0.3};
  Tensor p = f64(pv, {2, 3}, true), t = f64(tv, {2, 3}, true);
  expect_close(F::mse_loss(p, t, Reduction::None), {0.25, 0.25, 0.25, 0.0625, 1.0, 1.0}, kTight, "none");
  EXPECT_EQ(F::mse_loss(p, t, Reduction::None).shape(), (Shape{2, 3}));
  expect_close(F::mse_loss(p, t, Reduction::Sum), {2.8125}, kTight, "sum");
  Tensor l = F::mse_loss(p, t);
  EXPECT_EQ(l.shape(), Shape{});
  expect_close(l, {0.46875}, kTight, "mean");
  l.backward();
  const double s = 0.16666666666666666, s2 = 0.08333333333333333, s3 = 0.3333333333333333;
  expect_close(p.grad(), {-s, -s, s, s2, s3, -s3}, kTight, "dp");
  expect_close(t.grad(), {s, s, -s, -s2, -s3, s3}, kTight, "dt");
  nn::MSELoss sum_loss(Reduction::Sum);
  expect_close(sum_loss(f64(pv, {2, 3}), f64(tv, {2, 3})), {2.8125}, kTight, "MSELoss(sum)");
  expect_close(nn::MSELoss()(f64(pv, {2, 3}), f64(tv, {2, 3})), {0.46875}, kTight, "MSELoss()");
}

// PyTorch:
//   x = torch.tensor([[0.5, -1.0, 2.0, 0.1], [3.0, 0.1, -0.7, 1.2], [-0.4, 0.9, 0.0, -2.2]],
//                    requires_grad=True)
//   y = torch.tensor([2, 0, 3])
//   F.cross_entropy(x, y, reduction='none'); F.cross_entropy(x, y, reduction='sum')
//   l = F.cross_entropy(x, y); l.backward(); print(l, x.grad)
const Values kCeX{0.5, -1.0, 2.0, 0.1, 3.0, 0.1, -0.7, 1.2, -0.4, 0.9, 0.0, -2.2};
const Values kCeNone{0.35240593810343074, 0.21917218366124594, 3.6447345554119783};
const double kCeSum = 4.2163126771766555, kCeMean = 1.4054375590588852;
const Values kCeDx{0.05228643938194533,  0.01166668159288463,  -0.0990017694283752,  0.03504864845354526,
                   -0.06560552960450727, 0.014731245859789799, 0.006619175442335458, 0.04425510830238208,
                   0.05268909114121284,  0.19333190654433896,  0.07860288746073318,  -0.324623885146285};

TEST(NnReference, CrossEntropyClassIndicesAsFloat32AndFloat64) {
  for (Dtype label_dtype : {kFloat32, kFloat64}) {
    SCOPED_TRACE(label_dtype == kFloat32 ? "float32 labels" : "float64 labels");
    const Tensor y = tensor({2, 0, 3}, label_dtype);
    Tensor x = f64(kCeX, {3, 4}, true);
    Tensor none = F::cross_entropy(x, y, Reduction::None);
    EXPECT_EQ(none.shape(), Shape{3});
    expect_close(none, kCeNone, kTight, "none");
    expect_close(F::cross_entropy(x, y, Reduction::Sum), {kCeSum}, kTight, "sum");
    Tensor l = F::cross_entropy(x, y);
    expect_close(l, {kCeMean}, kTight, "mean");
    l.backward();
    expect_close(x.grad(), kCeDx, kTight, "dx mean");
    x.zero_grad();
    F::cross_entropy(x, y, Reduction::Sum).backward();
    Values dx_sum = kCeDx;
    for (double& v : dx_sum) v *= 3;
    expect_close(x.grad(), dx_sum, kTight, "dx sum");
  }
  nn::CrossEntropyLoss loss;
  expect_close(loss(f64(kCeX, {3, 4}), tensor({2, 0, 3})), {kCeMean}, kTight, "CrossEntropyLoss()");
  expect_close(nn::CrossEntropyLoss(Reduction::None)(f64(kCeX, {3, 4}), tensor({2, 0, 3})), kCeNone, kTight,
               "CrossEntropyLoss(none)");
}

// PyTorch (x as above):
//   P = torch.tensor([[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0]])
//   F.cross_entropy(x, P, reduction='none'); F.cross_entropy(x, P, reduction='sum')
//   l = F.cross_entropy(x, P); l.backward(); print(l, x.grad)
TEST(NnReference, CrossEntropyProbabilityTargets) {
  const Tensor probs = f64({0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.0}, {3, 4});
  Tensor x = f64(kCeX, {3, 4}, true);
  expect_close(F::cross_entropy(x, probs, Reduction::None),
               {1.8624059381034308, 0.21917218366124594, 1.3197345554119784}, kTight, "none");
  expect_close(F::cross_entropy(x, probs, Reduction::Sum), {3.401312677176655}, kTight, "sum");
  Tensor l = F::cross_entropy(x, probs);
  expect_close(l, {1.1337708923922183}, kTight, "mean (divides by N)");
  l.backward();
  expect_close(x.grad(),
               {0.018953106048612, -0.05499998507378203, 0.13433156390495815, -0.09828468487978806,
                -0.06560552960450727, 0.014731245859789799, 0.006619175442335458, 0.04425510830238208,
                -0.030644242192120492, 0.10999857321100562, -0.08806377920593347, 0.008709448187048328},
               kTight, "dx");
}

// PyTorch:
//   x = torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0], [1000.0, 1000.0, -1000.0]],
//                    requires_grad=True)
//   y = torch.tensor([1, 2, 0])
//   F.cross_entropy(x, y, reduction='none'); F.cross_entropy(x, y, reduction='sum').backward(); x.grad
TEST(NnReference, CrossEntropyExtremeLogitsAreExact) {
  const Values xv{1000.0, -1000.0, 0.0, -1000.0, -1000.0, 1000.0, 1000.0, 1000.0, -1000.0};
  const Values none{2000.0, 0.0, 0.6931471805599453};
  const Values dx{1.0, -1.0, 0.0, 0.0, 0.0, 0.0, -0.5, 0.5, 0.0};
  for (Dtype dtype : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype == kFloat32 ? "float32" : "float64");
    const double tol = dtype == kFloat64 ? kTight : kSingle;
    Tensor x = from_vector(xv, {3, 3}, dtype);
    x.requires_grad_(true);
    const Tensor y = tensor({1, 2, 0});
    expect_close(F::cross_entropy(x, y, Reduction::None), none, tol, "none");
    EXPECT_EQ(F::cross_entropy(x, y, Reduction::None).to_vector()[0], 2000.0);  // exactly
    F::cross_entropy(x, y, Reduction::Sum).backward();
    for (double g : x.grad().to_vector()) EXPECT_TRUE(std::isfinite(g));
    expect_close(x.grad(), dx, tol, "dx");
  }
}

// PyTorch:
//   x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
//   l = F.cross_entropy(x, torch.tensor(1)); l.backward(); print(l, x.grad)
TEST(NnReference, CrossEntropyOneSample) {
  Tensor x = f64({0.5, -1.0, 2.0}, {3}, true);
  Tensor l = F::cross_entropy(x, tensor(1));
  EXPECT_EQ(l.shape(), Shape{});
  expect_close(l, {3.241311296657157}, kTight, "loss");
  l.backward();
  expect_close(x.grad(), {0.1752903921400367, -0.9608874267293126, 0.7855970345892759}, kTight, "dx");
}

// PyTorch:
//   p = torch.tensor([[0.2, 0.9, 0.5], [0.7, 0.01, 0.35]], requires_grad=True)
//   t = torch.tensor([[0.0, 1.0, 0.3], [1.0, 0.0, 0.6]], requires_grad=True)
//   F.binary_cross_entropy(p, t, reduction='none'); F.binary_cross_entropy(p, t, reduction='sum')
//   l = F.binary_cross_entropy(p, t); l.backward(); print(l, p.grad, t.grad)
TEST(NnReference, BinaryCrossEntropy) {
  const Values pv{0.2, 0.9, 0.5, 0.7, 0.01, 0.35}, tv{0.0, 1.0, 0.3, 1.0, 0.0, 0.6};
  Tensor p = f64(pv, {2, 3}, true), t = f64(tv, {2, 3}, true);
  const Values none{0.2231435513142097,  0.10536051565782628, 0.6931471805599453,
                    0.35667494393873245, 0.01005033585350145, 0.8022064411361883};
  expect_close(F::binary_cross_entropy(p, t, Reduction::None), none, kTight, "none");
  expect_close(F::binary_cross_entropy(p, t, Reduction::Sum), {2.1905829684604035}, kTight, "sum");
  Tensor l = F::binary_cross_entropy(p, t);
  expect_close(l, {0.36509716141006726}, kTight, "mean");
  l.backward();
  expect_close(p.grad(),
               {0.2083333333333333, -0.1851851851851852, 0.13333333333333333, -0.2380952380952381,
                0.16835016835016833, -0.18315018315018317},
               kTight, "dp");
  expect_close(t.grad(),
               {0.23104906018664842, -0.3662040962227033, 0.0, -0.14121631006453392, 0.7658533083557649,
                0.10317320140103727},
               kTight, "dt");
  expect_close(nn::BCELoss(Reduction::None)(f64(pv, {2, 3}), f64(tv, {2, 3})), none, kTight, "BCELoss(none)");
}

// PyTorch:
//   p = torch.tensor([0.0, 0.0, 1.0, 1.0, 0.0, 1.0], requires_grad=True)
//   t = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.25, 0.75], requires_grad=True)
//   F.binary_cross_entropy(p, t, reduction='none')
//   F.binary_cross_entropy(p, t, reduction='sum').backward(); print(p.grad, t.grad)
// -> none [0, 100, 100, 0, 25, 25]: each log clamped at −100.
//    p.grad [0, -1000000003995.8029, 1000000003995.8029, 0, -250000000998.9507, 250000000998.9507]:
//    (p − t) / max(p(1 − p), ε) with PyTorch's ε = 1e-12 as a float32 (9.99999996e-13); xg's ε is
//    the double 1e-12, hence the 4e-9 relative difference.
//    t.grad [inf, inf, -inf, -inf, inf, -inf]: PyTorch differentiates the unclamped logs there;
//    xg returns the derivative of the clamped forward it computed, log(1 − p) − log p with
//    both logs clamped at −100, i.e. ±100 (finite). A deliberate divergence.
TEST(NnReference, BinaryCrossEntropyAtZeroAndOne) {
  Tensor p = f64({0.0, 0.0, 1.0, 1.0, 0.0, 1.0}, {6}, true);
  Tensor t = f64({0.0, 1.0, 0.0, 1.0, 0.25, 0.75}, {6}, true);
  expect_close(F::binary_cross_entropy(p, t, Reduction::None), {0.0, 100.0, 100.0, 0.0, 25.0, 25.0}, kTight,
               "none");
  F::binary_cross_entropy(p, t, Reduction::Sum).backward();
  expect_close(p.grad(),
               {0.0, -1000000003995.8029, 1000000003995.8029, 0.0, -250000000998.9507, 250000000998.9507},
               1e-8, "dp");
  expect_close(t.grad(), {100.0, 100.0, -100.0, -100.0, 100.0, -100.0}, kTight,
               "dt (clamped; PyTorch: ±inf)");
}

// PyTorch:
//   x = torch.tensor([[0.5, -1.0, 2.0], [-3.0, 0.1, 1.2]], requires_grad=True)
//   t = torch.tensor([[0.0, 1.0, 0.3], [1.0, 0.0, 0.6]], requires_grad=True)
//   F.binary_cross_entropy_with_logits(x, t, reduction='none'); (... reduction='sum')
//   l = F.binary_cross_entropy_with_logits(x, t); l.backward(); print(l, x.grad, t.grad)
TEST(NnReference, BinaryCrossEntropyWithLogits) {
  const Values xv{0.5, -1.0, 2.0, -3.0, 0.1, 1.2}, tv{0.0, 1.0, 0.3, 1.0, 0.0, 0.6};
  Tensor x = f64(xv, {2, 3}, true), t = f64(tv, {2, 3}, true);
  const Values none{0.9740769841801067, 1.3132616875182228, 1.5269280110429726,
                    3.048587351573742,  0.7443966600735709, 0.7432824673380313};
  expect_close(F::binary_cross_entropy_with_logits(x, t, Reduction::None), none, kTight, "none");
  expect_close(F::binary_cross_entropy_with_logits(x, t, Reduction::Sum), {8.350533161726645}, kTight, "sum");
  Tensor l = F::binary_cross_entropy_with_logits(x, t);
  expect_close(l, {1.3917555269544408}, kTight, "mean");
  l.backward();
  expect_close(x.grad(),
               {0.10374322186697577, -0.12184309643833414, 0.09679951299631373, -0.15876235447040554,
                0.08749653124649, 0.028087463916502926},
               kTight, "dx");
  expect_close(t.grad(),
               {-0.08333333333333333, 0.16666666666666666, -0.3333333333333333, 0.5, -0.016666666666666666,
                -0.19999999999999998},
               kTight, "dt");
  expect_close(nn::BCEWithLogitsLoss(Reduction::None)(f64(xv, {2, 3}), f64(tv, {2, 3})), none, kTight,
               "BCEWithLogitsLoss(none)");
  expect_close(nn::BCEWithLogitsLoss()(f64(xv, {2, 3}), f64(tv, {2, 3})), {1.3917555269544408}, kTight,
               "BCEWithLogitsLoss()");
}

// PyTorch:
//   x = torch.tensor([0.0, 0.0, 0.0, 1000.0, 1000.0, -1000.0, -1000.0], requires_grad=True)
//   t = torch.tensor([0.0, 1.0, 0.3, 1.0, 0.0, 0.0, 1.0], requires_grad=True)
//   F.binary_cross_entropy_with_logits(x, t, reduction='none')
//   F.binary_cross_entropy_with_logits(x, t, reduction='sum').backward(); print(x.grad, t.grad)
TEST(NnReference, BinaryCrossEntropyWithLogitsAtZeroAndExtremes) {
  for (Dtype dtype : {kFloat64, kFloat32}) {
    SCOPED_TRACE(dtype == kFloat32 ? "float32" : "float64");
    const double tol = dtype == kFloat64 ? kTight : kSingle;
    Tensor x = from_vector({0.0, 0.0, 0.0, 1000.0, 1000.0, -1000.0, -1000.0}, {7}, dtype);
    Tensor t = from_vector({0.0, 1.0, 0.3, 1.0, 0.0, 0.0, 1.0}, {7}, dtype);
    x.requires_grad_(true);
    t.requires_grad_(true);
    expect_close(F::binary_cross_entropy_with_logits(x, t, Reduction::None),
                 {0.6931471805599453, 0.6931471805599453, 0.6931471805599453, 0.0, 1000.0, 0.0, 1000.0}, tol,
                 "none");
    F::binary_cross_entropy_with_logits(x, t, Reduction::Sum).backward();
    expect_close(x.grad(), {0.5, -0.5, 0.2, 0.0, 1.0, 0.0, -1.0}, tol, "dx = sigmoid(x) - t");
    expect_close(t.grad(), {0.0, 0.0, 0.0, -1000.0, -1000.0, 1000.0, 1000.0}, tol, "dt = -x");
  }
}

// ================================================================================== fused vs composed

TEST(NnReference, FusedLossesAgreeWithTheirComposedTwins) {
  const Values xv{0.5, -1.0, 2.0, 0.1, 3.0, 0.1, -0.7, 1.2, -0.4, 0.9, 0.0, -2.2};
  {
    SCOPED_TRACE("cross_entropy vs -(log_softmax gathered at the labels)");
    const std::vector<std::size_t> labels{2, 0, 3};
    Tensor a = f64(xv, {3, 4}, true), b = f64(xv, {3, 4}, true);
    Tensor fused = F::cross_entropy(a, tensor({2, 0, 3}));
    std::vector<std::size_t> flat;
    for (std::size_t i = 0; i < labels.size(); ++i) flat.push_back(i * 4 + labels[i]);
    Tensor composed = -log_softmax(b, 1).reshape({12}).index_select(0, flat).mean();
    expect_close(fused, composed.to_vector(), kTight, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), kTight, "gradient");
  }
  {
    SCOPED_TRACE("cross_entropy(probabilities) vs -sum(t * log(softmax))");
    const Tensor probs = f64({0.1, 0.2, 0.3, 0.4, 1.0, 0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.0}, {3, 4});
    Tensor a = f64(xv, {3, 4}, true), b = f64(xv, {3, 4}, true);
    Tensor fused = F::cross_entropy(a, probs, Reduction::Sum);
    Tensor composed = -(probs * log(softmax(b, 1))).sum();
    expect_close(fused, composed.to_vector(), kTight, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), kTight, "gradient");
  }
  const Values logits{0.5, -1.0, 2.0, -3.0, 0.1, 1.2}, targets{0.0, 1.0, 0.3, 1.0, 0.0, 0.6};
  {
    SCOPED_TRACE("binary_cross_entropy_with_logits vs binary_cross_entropy(sigmoid)");
    Tensor a = f64(logits, {2, 3}, true), b = f64(logits, {2, 3}, true);
    Tensor fused = F::binary_cross_entropy_with_logits(a, f64(targets, {2, 3}));
    Tensor composed = F::binary_cross_entropy(sigmoid(b), f64(targets, {2, 3}));
    expect_close(fused, composed.to_vector(), 1e-10, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), 1e-10, "gradient");
  }
  {
    SCOPED_TRACE("binary_cross_entropy_with_logits vs max(x, 0) - x*t + log(1 + exp(-|x|))");
    Tensor a = f64(logits, {2, 3}, true), b = f64(logits, {2, 3}, true);
    const Tensor t = f64(targets, {2, 3});
    Tensor fused = F::binary_cross_entropy_with_logits(a, t, Reduction::Sum);
    Tensor composed = (relu(b) - b * t + log(1.0 + exp(-abs(b)))).sum();
    expect_close(fused, composed.to_vector(), kTight, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), kTight, "gradient");
  }
  {
    SCOPED_TRACE("binary_cross_entropy vs -(t log p + (1 - t) log(1 - p))");
    const Values pv{0.2, 0.9, 0.5, 0.7, 0.01, 0.35};
    Tensor a = f64(pv, {2, 3}, true), b = f64(pv, {2, 3}, true);
    Tensor ta = f64(targets, {2, 3}, true), tb = f64(targets, {2, 3}, true);
    Tensor fused = F::binary_cross_entropy(a, ta);
    Tensor composed = (-(tb * log(b) + (1.0 - tb) * log(1.0 - b))).mean();
    expect_close(fused, composed.to_vector(), kTight, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), kTight, "gradient of p");
    expect_close(ta.grad(), tb.grad().to_vector(), kTight, "gradient of t");
  }
  {
    SCOPED_TRACE("mse_loss vs mean((p - t)^2)");
    Tensor a = f64(logits, {2, 3}, true), b = f64(logits, {2, 3}, true);
    const Tensor t = f64(targets, {2, 3});
    Tensor fused = F::mse_loss(a, t);
    Tensor composed = pow(b - t, 2).mean();
    expect_close(fused, composed.to_vector(), kTight, "value");
    fused.backward();
    composed.backward();
    expect_close(a.grad(), b.grad().to_vector(), kTight, "gradient");
  }
}

// ================================================================================== errors

TEST(NnReference, CrossEntropyLabelErrors) {
  const Tensor x = zeros({3, 3});
  expect_error<ValueError>(
      [&] {
        F::cross_entropy(x, tensor({0, 1.5, 2}));
      },
      {"cross_entropy", "1.5", "position 1"});
  expect_error<ValueError>(
      [&] {
        F::cross_entropy(x, tensor({0, 1, 3}));
      },
      {"cross_entropy", "3", "position 2"});
  expect_error<ValueError>(
      [&] {
        F::cross_entropy(x, tensor({-1, 1, 2}, kFloat64));
      },
      {"cross_entropy", "-1", "position 0"});
  expect_error<ValueError>(
      [&] {
        F::cross_entropy(x, tensor({0, 1, std::nan("")}));
      },
      {"cross_entropy", "nan", "position 2"});
  expect_error<ShapeError>([&] { F::cross_entropy(x, tensor({0, 1})); }, {"cross_entropy", "[2]", "[3, 3]"});
  expect_error<ShapeError>(
      [&] {
        F::cross_entropy(x, zeros({3, 2}));
      },
      {"cross_entropy", "[3, 2]", "[3, 3]"});
  expect_error<ShapeError>(
      [&] {
        F::cross_entropy(zeros({2, 3, 4}), tensor({0, 1}));
      },
      {"cross_entropy", "[2, 3, 4]"});
  expect_error<ValueError>([&] { nn::CrossEntropyLoss()(x, tensor({0, 1, 7})); }, {"7", "position 2"});
}

TEST(NnReference, BinaryCrossEntropyRejectsNonProbabilities) {
  const Tensor t = zeros({3});
  expect_error<ValueError>(
      [&] {
        F::binary_cross_entropy(tensor({0.5, 1.5, 0.2}), t);
      },
      {"binary_cross_entropy", "1.5"});
  expect_error<ValueError>(
      [&] {
        F::binary_cross_entropy(tensor({0.5, -0.1, 0.2}), t);
      },
      {"binary_cross_entropy", "-0.1"});
  expect_error<ValueError>(
      [&] {
        F::binary_cross_entropy(tensor({0.5, std::nan(""), 0.2}), t);
      },
      {"binary_cross_entropy", "nan"});
  expect_error<ShapeError>(
      [&] {
        F::binary_cross_entropy(tensor({0.5, 0.5}), t);
      },
      {"binary_cross_entropy", "[2]", "[3]"});
  expect_error<ShapeError>(
      [&] {
        F::binary_cross_entropy_with_logits(zeros({2, 3}), zeros({3}));
      },
      {"binary_cross_entropy_with_logits", "[2, 3]", "[3]"});
}

TEST(NnReference, MseLossShapeMismatch) {
  expect_error<ShapeError>([] { F::mse_loss(zeros({2, 3}), zeros({3})); }, {"mse_loss", "[2, 3]", "[3]"});
  expect_error<ShapeError>([] { nn::MSELoss()(zeros({4, 1}), zeros({4})); }, {"mse_loss", "[4, 1]", "[4]"});
}

TEST(NnReference, LayerErrors) {
  nn::BatchNorm1d bn(3);
  expect_error<ShapeError>([&] { bn(zeros({4, 2})); }, {"BatchNorm1d", "[4, 2]"});
  expect_error<ShapeError>([&] { bn(zeros({4, 2, 5})); }, {"BatchNorm1d", "[4, 2, 5]"});
  expect_error<ShapeError>([&] { bn(zeros({3})); }, {"BatchNorm1d", "[3]"});
  expect_error<ValueError>([&] { bn(zeros({1, 3})); }, {"BatchNorm1d", "more than one value", "[1, 3]"});
  expect_error<ValueError>([&] { bn(zeros({1, 3, 1})); }, {"BatchNorm1d", "[1, 3, 1]"});
  EXPECT_NO_THROW(bn(ones({1, 3, 2})));  // two values per channel: fine (as PyTorch)
  for (double p : {-0.1, 1.5, std::nan("")}) expect_error<ValueError>([&] { nn::Dropout d(p); }, {"Dropout"});
  nn::PReLU prelu(3);
  expect_error<ShapeError>([&] { prelu(zeros({2, 4})); }, {"prelu", "[3]", "[2, 4]"});
  expect_error<ShapeError>([&] { prelu(zeros({3})); }, {"prelu", "[3]"});  // PyTorch 1.13 refuses 1-D too
  EXPECT_NO_THROW(nn::PReLU()(zeros({3})));                                // one weight: any shape
}

}  // namespace
}  // namespace xg
