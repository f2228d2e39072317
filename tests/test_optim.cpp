// Optimizers against PyTorch's trajectories, and their validation.
//
// Reference values: PyTorch 1.13 in float64, w0 = [0.5, -1.0, 2.0], loss Σ(w·x − y)² with
// x = [1.0, 2.0, -1.5], y = [0.3, -0.2, 1.0], four steps of zero_grad/backward/step, e.g.
//   w = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64, requires_grad=True)
//   opt = torch.optim.SGD([w], lr=0.05, momentum=0.9, dampening=0.3)
//   for _ in range(4): opt.zero_grad(); ((w * x - y) ** 2).sum().backward(); opt.step(); print(w)
// The optimizer of each case is named below; the constructor arguments match the C++ side.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include <map>

#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace xg {
namespace {

using Make = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;

struct Trajectory {
  const char* name;
  std::vector<std::vector<double>> steps;
};

const std::vector<Trajectory> kReference = {
  {"sgd", {{0.48, -0.64, 1.4},
       {0.46199999999999997, -0.424, 0.9349999999999999},
       {0.4458, -0.2944, 0.5746249999999999},
       {0.43122, -0.21664, 0.295334375}}},
  {"sgd_wd", {{0.4775, -0.635, 1.39},
       {0.4573625, -0.41782499999999995, 0.9203},
       {0.4393394375, -0.28860587499999996, 0.558631},
       {0.4232087965625, -0.21172049562499998, 0.28014587}}},
  {"momentum", {{0.48, -0.64, 1.4},
       {0.444, -0.09999999999999995, 0.3949999999999998},
       {0.3972, 0.3860000000000001, -0.7483750000000005},
       {0.34536, 0.6290000000000001, -1.7590281250000004}}},
  {"momentum_dampening", {{0.48, -0.64, 1.4},
       {0.44939999999999997, -0.1648, 0.5345},
       {0.411402, 0.281024, -0.43363375000000004},
       {0.36940565999999997, 0.57557888, -1.341656809375}}},
  {"nesterov", {{0.462, -0.316, 0.8599999999999999},
       {0.41502, 0.13976000000000002, -0.27865000000000034},
       {0.36546419999999996, 0.2899664, -1.1601621250000003},
       {0.31877758199999995, 0.215091296, -1.6639803540625002}}},
  {"momentum_wd", {{0.475, -0.63, 1.38},
       {0.44025, -0.22669999999999996, 0.5956999999999999},
       {0.40444749999999996, 0.027897000000000064, -0.08643950000000013},
       {0.372057025, 0.10375773000000005, -0.5571959675000001}}},
  {"adam", {{0.40000000249999995, -0.9000000001388889, 1.9000000000833333},
       {0.3067820412012727, -0.8004787077345437, 1.8001178486080784},
       {0.23281908063038803, -0.7018543152003349, 1.7004386145421861},
       {0.1915354457391093, -0.6046364702324367, 1.6010523026732435}}},
  {"adam_wd_amsgrad", {{0.4000000022222222, -0.9000000001369863, 1.9000000000819672},
       {0.3061821095847337, -0.8005166204327332, 1.8001309011540116},
       {0.23413574973454687, -0.7020020107230749, 1.700485818004696},
       {0.19436250386465737, -0.6050135386929508, 1.6011613106508893}}},
  {"adamw", {{0.39950000249999995, -0.8990000001388889, 1.8980000000833332},
       {0.30595596932299196, -0.7985866062027484, 1.7962226303204256},
       {0.23197047811836463, -0.6991837198906072, 1.6947547098938818},
       {0.19095411962571096, -0.6013078160577869, 1.593687989301643}}},
  {"adamw_wd", {{0.37500000249999993, -0.8500000001388889, 1.8000000000833332},
       {0.267374517100125, -0.7083827128215346, 1.610278773969765},
       {0.19574816207016715, -0.5755197742746317, 1.4305181689502804},
       {0.16827366596764268, -0.4519429054128419, 1.2604220753956836}}},
  {"rmsprop", {{0.4000000249999938, -0.9000000013888889, 1.9000000008333333},
       {0.35509870061178767, -0.8333772733573667, 1.830472447583482},
       {0.3309687583564756, -0.7810641741187334, 1.7742499712935313},
       {0.3174628568058742, -0.7371885902983424, 1.7259012472215711}}},
  {"rmsprop_centered_momentum", {{0.4666666691358023, -0.9666666668188737, 1.9666666667577413},
       {0.42665800162727135, -0.9249703009852921, 1.9246627539496741},
       {0.3889998039526852, -0.8825886775410005, 1.8814784760942318},
       {0.3568524666929959, -0.8417855170791759, 1.8392978532907907}}},
};

void PrintTo(const Trajectory& t, std::ostream* os) { *os << t.name; }

std::map<std::string, Make> makers() {
  using namespace optim;
  auto wrap = [](auto f) -> Make { return f; };
  return {
      {"sgd", wrap([](auto p) { return std::make_unique<SGD>(p, SGDOptions{.lr = 0.05}); })},
      {"sgd_wd", wrap([](auto p) { return std::make_unique<SGD>(p, SGDOptions{.lr = 0.05, .weight_decay = 0.1}); })},
      {"momentum", wrap([](auto p) { return std::make_unique<Momentum>(p, MomentumOptions{.lr = 0.05, .momentum = 0.9}); })},
      {"momentum_dampening",
       wrap([](auto p) { return std::make_unique<Momentum>(p, MomentumOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.3}); })},
      {"nesterov",
       wrap([](auto p) { return std::make_unique<Momentum>(p, MomentumOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true}); })},
      {"momentum_wd", wrap([](auto p) {
         return std::make_unique<Momentum>(p, MomentumOptions{.lr = 0.05, .momentum = 0.5, .weight_decay = 0.2});
       })},
      {"adam", wrap([](auto p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 0.1}); })},
      {"adam_wd_amsgrad", wrap([](auto p) {
         return std::make_unique<Adam>(
             p, AdamOptions{.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .weight_decay = 0.1, .amsgrad = true});
       })},
      {"adamw", wrap([](auto p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.1}); })},
      {"adamw_wd",
       wrap([](auto p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.1, .weight_decay = 0.5, .amsgrad = true}); })},
      {"rmsprop", wrap([](auto p) { return std::make_unique<RMSprop>(p, RMSpropOptions{.lr = 0.01}); })},
      {"rmsprop_centered_momentum", wrap([](auto p) {
         return std::make_unique<RMSprop>(
             p, RMSpropOptions{.lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.5, .centered = true});
       })},
  };
}

class OptimizerTrajectory : public ::testing::TestWithParam<Trajectory> {};

TEST_P(OptimizerTrajectory, MatchesPyTorch) {
  const Trajectory& ref = GetParam();
  auto w = tensor({0.5, -1.0, 2.0}, kFloat64).requires_grad_();
  const auto x = tensor({1.0, 2.0, -1.5}, kFloat64), y = tensor({0.3, -0.2, 1.0}, kFloat64);
  auto opt = makers().at(ref.name)({w});
  for (const auto& expected : ref.steps) {
    opt->zero_grad();
    pow(w * x - y, 2).sum().backward();
    opt->step();
    const auto got = w.to_vector();
    for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(got[i], expected[i], 1e-12) << ref.name << " element " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(PyTorch, OptimizerTrajectory, ::testing::ValuesIn(kReference),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Optimizer, EveryCaseHasAReference) { EXPECT_EQ(makers().size(), kReference.size()); }

TEST(Optimizer, SkipsParametersWithoutGradAndNeverEditsGrad) {
  auto a = tensor({1.0, 2.0}).requires_grad_(), b = tensor({3.0}).requires_grad_();
  optim::Momentum opt({a, b}, {.lr = 0.1, .momentum = 0.9});
  (a * a).sum().backward();  // b gets no gradient
  const Tensor grad_before = a.grad().clone();
  opt.step();
  EXPECT_EQ(b.to_vector(), (std::vector<double>{3}));
  EXPECT_EQ(a.grad().to_vector(), grad_before.to_vector());
  EXPECT_FALSE(opt.velocity(1).defined());
  EXPECT_NEAR(a.to_vector()[0], 1.0 - 0.1 * 2.0, 1e-6);
}

TEST(Optimizer, StepRecordsNoGraphAndZeroGradDropsGradients) {
  auto w = tensor({1.0}).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.5});
  (w * 3.0).sum().backward();
  opt.step();
  EXPECT_TRUE(w.is_leaf());
  EXPECT_DOUBLE_EQ(w.item(), -0.5);
  opt.zero_grad();
  EXPECT_FALSE(w.grad().defined());
}

TEST(Optimizer, MomentumZeroIsPlainSgd) {
  auto a = tensor({1.0, -2.0}, kFloat64).requires_grad_(), b = tensor({1.0, -2.0}, kFloat64).requires_grad_();
  optim::Momentum m({a}, {.lr = 0.1, .momentum = 0, .weight_decay = 0.01});
  optim::SGD s({b}, {.lr = 0.1, .weight_decay = 0.01});
  for (int i = 0; i < 3; ++i) {
    m.zero_grad();
    s.zero_grad();
    pow(a, 3).sum().backward();
    pow(b, 3).sum().backward();
    m.step();
    s.step();
  }
  EXPECT_EQ(a.to_vector(), b.to_vector());
}

TEST(Optimizer, ValidatesOptionsInTheConstructor) {
  auto w = tensor({1.0}).requires_grad_();
  auto expect_value_error = [](auto make, const char* fragment) {
    try {
      make();
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const ValueError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  using namespace optim;
  expect_value_error([&] { SGD({w}, {.lr = -0.1}); }, "lr = -0.1");
  expect_value_error([&] { SGD({w}, {.lr = 0.1, .weight_decay = -1}); }, "weight_decay");
  expect_value_error([&] { Momentum({w}, {.lr = 0.1, .momentum = -0.5}); }, "momentum");
  expect_value_error([&] { Momentum({w}, {.lr = 0.1, .dampening = -0.5}); }, "dampening");
  expect_value_error([&] { Momentum({w}, {.lr = 0.1, .momentum = 0, .nesterov = true}); }, "nesterov");
  expect_value_error([&] { Momentum({w}, {.lr = 0.1, .dampening = 0.1, .nesterov = true}); }, "nesterov");
  expect_value_error([&] { Adam({w}, {.beta1 = 1.0}); }, "beta1");
  expect_value_error([&] { Adam({w}, {.eps = -1}); }, "eps");
  expect_value_error([&] { RMSprop({w}, {.alpha = -1}); }, "alpha");
  expect_value_error([&] { SGD({}, {.lr = 0.1}); }, "empty");
  expect_value_error([&] { SGD({w * 2.0}, {.lr = 0.1}); }, "leaf");
  SGD ok({w}, {.lr = 0.1});
  expect_value_error([&] { ok.set_lr(-1); }, "lr");
  ok.set_lr(0.2);
  EXPECT_DOUBLE_EQ(ok.lr(), 0.2);
}

TEST(Optimizer, TrainsTheContractsUsageExample) {
  xg::manual_seed(0);
  auto x = randn({32, 8});
  auto labels = tensor({0, 1, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0, 2, 1, 0});
  nn::Sequential model(nn::Linear(8, 16), nn::ReLU(), nn::Linear(16, 3));
  optim::Momentum opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  double first = 0, last = 0;
  for (int step = 0; step < 200; ++step) {
    opt.zero_grad();
    auto loss = nn::functional::cross_entropy(model(x), labels);
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item();
    last = loss.item();
  }
  EXPECT_LT(last, 0.1 * first);  // memorises 32 random points
}

}  // namespace
}  // namespace xg
