// Learning-rate schedules and gradient clipping against PyTorch 1.13, and their validation.
//
// Schedules: an SGD optimizer on one parameter, lr = 0.1; the lr is read after construction and
// after each of n optimizer.step(); scheduler.step() pairs, e.g.
//   w = torch.zeros(1, requires_grad=True); o = torch.optim.SGD([w], lr=0.1)
//   s = torch.optim.lr_scheduler.StepLR(o, 3, 0.5); out = [o.param_groups[0]['lr']]
//   for i in range(n): o.step(); s.step(); out.append(o.param_groups[0]['lr'])   # s.step(m[i]) for plateau
// with StepLR(o, 3, 0.5), ExponentialLR(o, 0.9), CosineAnnealingLR(o, 5, 0.01) (n = 10),
// ReduceLROnPlateau(o, 'min', factor=0.5, patience=2, cooldown=1, min_lr=0.02) and
// ReduceLROnPlateau(o, 'max', factor=0.1, patience=1, threshold=0.01, threshold_mode='abs')
// on the metrics listed below.
//
// Clipping: float64 grads a.grad = [[0.5, -1.5], [2.0, 0.25]], b.grad = [3.0, -0.75, 1.0];
//   tot = torch.nn.utils.clip_grad_norm_([a, b], max_norm, norm_type); print(tot, a.grad, b.grad)
//   torch.nn.utils.clip_grad_value_([a, b], 0.8)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <optim/optim.hpp>

namespace xg {
namespace {

using Plateau = optim::ReduceLROnPlateau;

template <class Sched, class... Args>
std::vector<double> lr_sequence(int n, Args... args) {
  Tensor w = zeros({1}, kFloat64).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  Sched s(opt, args...);
  std::vector<double> out = {opt.lr()};
  for (int i = 0; i < n; ++i) {
    opt.step();
    s.step();
    out.push_back(opt.lr());
    EXPECT_EQ(s.last_lr(), opt.lr());
    EXPECT_EQ(s.last_epoch(), i + 1);
  }
  return out;
}

std::vector<double> plateau_sequence(const std::vector<double>& metrics, Plateau::Options o) {
  Tensor w = zeros({1}, kFloat64).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  Plateau s(opt, o);
  std::vector<double> out = {opt.lr()};
  for (double m : metrics) {
    s.step(m);
    out.push_back(opt.lr());
    EXPECT_EQ(s.last_lr(), opt.lr());
  }
  return out;
}

TEST(Schedule, StepLRMatchesTorchExactly) {
  const std::vector<double> torch = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125};
  EXPECT_EQ(lr_sequence<optim::StepLR>(10, std::int64_t{3}, 0.5), torch);
}

TEST(Schedule, ExponentialLRMatchesTorchExactly) {
  const std::vector<double> torch = {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002,
                                     0.06561000000000002, 0.05904900000000002, 0.05314410000000002,
                                     0.04782969000000002, 0.043046721000000024, 0.03874204890000002,
                                     0.03486784401000002};
  EXPECT_EQ(lr_sequence<optim::ExponentialLR>(10, 0.9), torch);
}

TEST(Schedule, CosineAnnealingMatchesTorchOverTwoPeriods) {
  // t = 0..2·T_max. PyTorch's recursive step() and our closed form agree up to rounding.
  const std::vector<double> torch = {0.1, 0.09140576474687263, 0.06890576474687263, 0.04109423525312736,
                                     0.018594235253127367, 0.01, 0.018594235253127367, 0.04109423525312739,
                                     0.06890576474687267, 0.09140576474687269, 0.10000000000000006};
  const auto ours = lr_sequence<optim::CosineAnnealingLR>(10, std::int64_t{5}, 0.01);
  ASSERT_EQ(ours.size(), torch.size());
  EXPECT_EQ(ours[0], 0.1);  // t = 0 is the base lr exactly
  for (std::size_t t = 0; t < torch.size(); ++t) EXPECT_NEAR(ours[t], torch[t], 1e-15 * 0.1) << "t = " << t;
}

TEST(Schedule, ReduceLROnPlateauMinMatchesTorch) {
  const std::vector<double> m = {1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9};
  const std::vector<double> torch = {0.1,  0.1,  0.1,   0.1,   0.1,   0.05,  0.05, 0.05,
                                     0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.02, 0.02};
  EXPECT_EQ(plateau_sequence(m, {.factor = 0.5, .patience = 2, .cooldown = 1, .min_lr = 0.02}), torch);
}

TEST(Schedule, ReduceLROnPlateauMaxAbsMatchesTorch) {
  const std::vector<double> m = {1, 2, 2.0001, 2, 3, 3, 3, 3, 3.5};
  const std::vector<double> torch = {0.1,
                                     0.1,
                                     0.1,
                                     0.1,
                                     0.010000000000000002,
                                     0.010000000000000002,
                                     0.010000000000000002,
                                     0.0010000000000000002,
                                     0.0010000000000000002,
                                     0.0010000000000000002};
  EXPECT_EQ(plateau_sequence(m, {.mode = Plateau::Options::Mode::Max,
                                 .factor = 0.1,
                                 .patience = 1,
                                 .threshold = 0.01,
                                 .threshold_mode = Plateau::Options::ThresholdMode::Abs}),
            torch);
}

TEST(Schedule, ReduceLROnPlateauNaNMetricIsABadEpoch) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto lrs = plateau_sequence({1.0, nan, nan}, {.patience = 1});
  EXPECT_EQ(lrs.back(), 0.1 * 0.1);
}

TEST(Schedule, ConstructorsValidate) {
  Tensor w = zeros({1}).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(optim::StepLR(opt, 0), ValueError);
  EXPECT_THROW(optim::StepLR(opt, -2), ValueError);
  EXPECT_THROW(optim::StepLR(opt, 3, 0.0), ValueError);
  EXPECT_THROW(optim::StepLR(opt, 3, -0.5), ValueError);
  EXPECT_THROW(optim::StepLR(opt, 3, nan), ValueError);
  EXPECT_THROW(optim::ExponentialLR(opt, inf), ValueError);
  EXPECT_THROW(optim::ExponentialLR(opt, 0.0), ValueError);
  EXPECT_THROW(optim::CosineAnnealingLR(opt, 0), ValueError);
  EXPECT_THROW(optim::CosineAnnealingLR(opt, 5, -1e-3), ValueError);
  EXPECT_THROW(optim::CosineAnnealingLR(opt, 5, nan), ValueError);
  EXPECT_THROW(Plateau(opt, {.factor = 1.0}), ValueError);
  EXPECT_THROW(Plateau(opt, {.factor = -0.1}), ValueError);
  EXPECT_THROW(Plateau(opt, {.patience = -1}), ValueError);
  EXPECT_THROW(Plateau(opt, {.threshold = -1e-4}), ValueError);
  EXPECT_THROW(Plateau(opt, {.cooldown = -1}), ValueError);
  EXPECT_THROW(Plateau(opt, {.min_lr = -1}), ValueError);
  EXPECT_THROW(Plateau(opt, {.eps = nan}), ValueError);
  try {
    optim::StepLR s(opt, 0);
    FAIL();
  } catch (const ValueError& e) {
    EXPECT_STREQ(e.what(), "StepLR: step_size = 0 must be >= 1");
  }
  EXPECT_EQ(opt.lr(), 0.1);  // a refused schedule leaves the optimizer alone
}

TEST(Schedule, StateRoundTripsAndIsValidated) {
  Tensor w = zeros({1}).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  optim::StepLR s(opt, 2, 0.5);
  for (int i = 0; i < 3; ++i) s.step();
  const auto st = s.state();
  EXPECT_EQ(st.last_epoch, 3);
  EXPECT_EQ(st.base_lr, 0.1);
  EXPECT_EQ(st.last_lr, 0.05);
  optim::StepLR fresh(opt, 2, 0.5);
  fresh.load_state(st);
  EXPECT_EQ(fresh.last_epoch(), 3);
  auto bad = st;
  bad.last_epoch = -1;
  EXPECT_THROW(fresh.load_state(bad), ValueError);
  bad = st;
  bad.last_lr = std::nan("");
  EXPECT_THROW(fresh.load_state(bad), ValueError);
  EXPECT_EQ(fresh.last_lr(), 0.05);
}

// ---------------------------------------------------------------------------------- clipping

std::vector<Tensor> clip_params() {
  Tensor a = tensor({{0.5, -1.5}, {2.0, 0.25}}, kFloat64).requires_grad_();
  Tensor b = tensor({3.0, -0.75, 1.0}, kFloat64).requires_grad_();
  Tensor c = tensor({100.0}, kFloat64).requires_grad_();  // no grad: skipped
  (a * tensor({{0.5, -1.5}, {2.0, 0.25}}, kFloat64)).sum().backward();  // a.grad = those values
  (b * tensor({3.0, -0.75, 1.0}, kFloat64)).sum().backward();
  return {a, b, c};
}

std::vector<double> grads_of(const std::vector<Tensor>& ps) {
  auto out = ps[0].grad().to_vector();
  for (double v : ps[1].grad().to_vector()) out.push_back(v);
  return out;
}

TEST(Clip, GradNormMatchesTorch) {
  struct Case {
    double norm_type, max_norm, total;
    std::vector<double> grads;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
    {2.0, 1.0, 4.138236339311712,
     {0.12082438946896215, -0.3624731684068865, 0.4832975578758486, 0.060412194734481076, 0.724946336813773,
      -0.18123658420344324, 0.2416487789379243}},
    {1.0, 2.0, 9.0,
     {0.11111109876543349, -0.3333332962963005, 0.44444439506173394, 0.05555554938271674, 0.666666592592601,
      -0.16666664814815024, 0.22222219753086697}},
    {3.0, 1.5, 3.4181697398814603,
     {0.21941560474126856, -0.6582468142238057, 0.8776624189650742, 0.10970780237063428, 1.3164936284476114,
      -0.32912340711190285, 0.4388312094825371}},
    {inf, 1.0, 3.0,
     {0.16666661111112963, -0.4999998333333889, 0.6666664444445185, 0.08333330555556481, 0.9999996666667778,
      -0.24999991666669444, 0.33333322222225925}},
    {2.0, 100.0, 4.138236339311712, {0.5, -1.5, 2.0, 0.25, 3.0, -0.75, 1.0}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << "norm_type " << c.norm_type << ", max_norm " << c.max_norm);
    auto ps = clip_params();
    EXPECT_NEAR(optim::clip_grad_norm_(ps, c.max_norm, c.norm_type), c.total, 1e-14);
    const auto g = grads_of(ps);
    for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], c.grads[i], 1e-15);
    EXPECT_FALSE(ps[2].grad().defined());
  }
}

TEST(Clip, GradValueMatchesTorch) {
  auto ps = clip_params();
  optim::clip_grad_value_(ps, 0.8);
  EXPECT_EQ(grads_of(ps), (std::vector<double>{0.5, -0.8, 0.8, 0.25, 0.8, -0.75, 0.8}));
}

TEST(Clip, NoGradsAndNonFinite) {
  Tensor w = ones({3}).requires_grad_();
  EXPECT_EQ(optim::clip_grad_norm_({w}, 1.0), 0.0);
  optim::clip_grad_value_({w}, 1.0);  // nothing to do
  EXPECT_FALSE(w.grad().defined());

  // PyTorch's default (error_if_nonfinite=False): returned, no error, the grads become NaN.
  Tensor v = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  (v * std::numeric_limits<double>::quiet_NaN()).sum().backward();
  EXPECT_TRUE(std::isnan(optim::clip_grad_norm_({v}, 1.0)));
  for (double g : v.grad().to_vector()) EXPECT_TRUE(std::isnan(g));
}

TEST(Clip, ValidatesArguments) {
  auto ps = clip_params();
  EXPECT_THROW(optim::clip_grad_norm_(ps, -1.0), ValueError);
  EXPECT_THROW(optim::clip_grad_norm_(ps, std::nan("")), ValueError);
  EXPECT_THROW(optim::clip_grad_norm_(ps, 1.0, 0.0), ValueError);
  EXPECT_THROW(optim::clip_grad_norm_(ps, 1.0, -2.0), ValueError);
  EXPECT_THROW(optim::clip_grad_value_(ps, -0.1), ValueError);
  EXPECT_EQ(grads_of(ps), (std::vector<double>{0.5, -1.5, 2.0, 0.25, 3.0, -0.75, 1.0}));  // untouched
}

TEST(Clip, Float32GradsAreScaledInPlace) {
  Tensor w = tensor({3.0f, 4.0f}).requires_grad_();
  (w * tensor({3.0f, 4.0f})).sum().backward();
  const Tensor g = w.grad();
  EXPECT_NEAR(optim::clip_grad_norm_({w}, 1.0), 5.0, 1e-6);
  EXPECT_NEAR(g.to_vector()[0], 0.6, 1e-6);  // the same grad tensor, edited in place
  EXPECT_NEAR(w.grad().to_vector()[1], 0.8, 1e-6);
}

}  // namespace
}  // namespace xg
