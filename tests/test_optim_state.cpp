// Resumable training: save mid-run (nn::save for the model, optim::save_state for the
// optimizer and its schedule), load into freshly built objects, continue — the parameters must
// be bit-identical to an uninterrupted run. And the refusals: a load that does not fit changes
// nothing.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>

#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace xg {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / ("xgrad_optim_state_" + std::to_string(::getpid()) + "_" +
                                       testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

nn::Sequential make_model(std::uint64_t seed) {
  manual_seed(seed);
  return nn::Sequential(nn::Linear(4, 8), nn::ReLU(), nn::Linear(8, 3));
}

using MakeOpt = std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>;
using MakeSched = std::function<std::unique_ptr<optim::LRScheduler>(optim::Optimizer&)>;

struct TrainRun {
  nn::Sequential model;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::LRScheduler> sched;
};

TrainRun make_run(std::uint64_t seed, const MakeOpt& make_opt, const MakeSched& make_sched) {
  TrainRun r{make_model(seed), nullptr, nullptr};
  r.opt = make_opt(r.model.parameters());
  if (make_sched) r.sched = make_sched(*r.opt);
  return r;
}

void train(TrainRun& r, int from, int to) {
  for (int step = from; step < to; ++step) {
    manual_seed(1000 + step);  // the batch of step `step`, whatever run computes it
    const Tensor x = randn({5, 4}), y = randn({5, 3});
    r.opt->zero_grad();
    nn::functional::mse_loss(r.model(x), y).backward();
    r.opt->step();
    if (r.sched) r.sched->step();
  }
}

std::vector<std::vector<double>> values(const nn::Module& m) {
  std::vector<std::vector<double>> out;
  for (const auto& p : m.parameters()) out.push_back(p.to_vector());
  return out;
}

void expect_resume_is_bit_identical(const MakeOpt& make_opt, const MakeSched& make_sched) {
  TempDir tmp;
  constexpr int kTotal = 12, kSplit = 5;
  TrainRun straight = make_run(0, make_opt, make_sched);
  train(straight, 0, kTotal);

  TrainRun first = make_run(0, make_opt, make_sched);
  train(first, 0, kSplit);
  nn::save(first.model, tmp / "model.ckpt");
  if (first.sched)
    optim::save_state(*first.opt, *first.sched, tmp / "optim.ckpt");
  else
    optim::save_state(*first.opt, tmp / "optim.ckpt");

  TrainRun resumed = make_run(77, make_opt, make_sched);  // other initial values: all must come from the files
  nn::load(resumed.model, tmp / "model.ckpt");
  if (resumed.sched) {
    optim::load_state(*resumed.opt, *resumed.sched, tmp / "optim.ckpt");
    EXPECT_EQ(resumed.sched->last_epoch(), kSplit);
    EXPECT_EQ(resumed.sched->last_lr(), first.sched->last_lr());
  } else {
    optim::load_state(*resumed.opt, tmp / "optim.ckpt");
  }
  EXPECT_EQ(resumed.opt->lr(), first.opt->lr());
  train(resumed, kSplit, kTotal);

  EXPECT_EQ(values(resumed.model), values(straight.model));
  EXPECT_EQ(resumed.opt->lr(), straight.opt->lr());
  // And the uninterrupted run did move: the comparison is not vacuous.
  EXPECT_NE(values(straight.model), values(make_model(0)));
}

MakeOpt momentum() {
  return [](std::vector<Tensor> p) {
    return std::make_unique<optim::Momentum>(std::move(p), optim::MomentumOptions{.lr = 0.05, .momentum = 0.9});
  };
}
MakeOpt adam(bool amsgrad = false) {
  return [=](std::vector<Tensor> p) {
    return std::make_unique<optim::Adam>(std::move(p), optim::AdamOptions{.lr = 0.01, .amsgrad = amsgrad});
  };
}

TEST(OptimState, MomentumResumesBitIdentically) { expect_resume_is_bit_identical(momentum(), nullptr); }

TEST(OptimState, AdamResumesBitIdentically) { expect_resume_is_bit_identical(adam(), nullptr); }

TEST(OptimState, AdamAmsgradWithCosineScheduleResumesBitIdentically) {
  expect_resume_is_bit_identical(adam(true), [](optim::Optimizer& o) {
    return std::make_unique<optim::CosineAnnealingLR>(o, 4, 1e-3);
  });
}

TEST(OptimState, MomentumWithStepLRResumesBitIdentically) {
  expect_resume_is_bit_identical(momentum(), [](optim::Optimizer& o) {
    return std::make_unique<optim::StepLR>(o, 3, 0.5);
  });
}

TEST(OptimState, RMSpropCenteredMomentumResumesBitIdentically) {
  expect_resume_is_bit_identical(
      [](std::vector<Tensor> p) {
        return std::make_unique<optim::RMSprop>(std::move(p),
                                                optim::RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
      },
      [](optim::Optimizer& o) { return std::make_unique<optim::ExponentialLR>(o, 0.9); });
}

TEST(OptimState, ReduceLROnPlateauStateIsSaved) {
  TempDir tmp;
  auto model = make_model(0);
  optim::SGD opt(model.parameters(), {.lr = 0.1});
  optim::ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 1, .cooldown = 2});
  for (double m : {1.0, 2.0, 2.0, 2.0}) sched.step(m);
  optim::save_state(opt, sched, tmp / "s.ckpt");
  optim::SGD opt2(model.parameters(), {.lr = 0.1});
  optim::ReduceLROnPlateau sched2(opt2, {.factor = 0.5, .patience = 1, .cooldown = 2});
  optim::load_state(opt2, sched2, tmp / "s.ckpt");
  const auto a = sched.state(), b = sched2.state();
  EXPECT_EQ(a.last_epoch, b.last_epoch);
  EXPECT_EQ(a.best, b.best);
  EXPECT_EQ(a.num_bad_epochs, b.num_bad_epochs);
  EXPECT_EQ(a.cooldown_counter, b.cooldown_counter);
  EXPECT_EQ(opt2.lr(), opt.lr());
  for (double m : {3.0, 3.0, 3.0, 3.0, 3.0}) {
    sched.step(m);
    sched2.step(m);
    EXPECT_EQ(opt2.lr(), opt.lr());
  }
}

// ---------------------------------------------------------------------------------- refusals

/// A Momentum optimizer with velocities, and a copy of everything a refused load must keep.
struct Snapshot {
  double lr;
  std::vector<std::vector<double>> velocity;
  static Snapshot of(const optim::Momentum& m) {
    Snapshot s{m.lr(), {}};
    for (std::size_t i = 0; i < m.params().size(); ++i)
      s.velocity.push_back(m.velocity(i).defined() ? m.velocity(i).to_vector() : std::vector<double>{});
    return s;
  }
  bool operator==(const Snapshot&) const = default;
};

std::string load_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(OptimState, RefusedLoadsChangeNothing) {
  TempDir tmp;
  TrainRun run = make_run(0, momentum(), nullptr);
  train(run, 0, 3);
  auto& opt = static_cast<optim::Momentum&>(*run.opt);
  const Snapshot before = Snapshot::of(opt);
  ASSERT_FALSE(before.velocity[0].empty());

  // Another optimizer class.
  TrainRun other = make_run(0, adam(), nullptr);
  train(other, 0, 2);
  optim::save_state(*other.opt, tmp / "adam.ckpt");
  std::string err = load_error([&] { optim::load_state(opt, tmp / "adam.ckpt"); });
  EXPECT_NE(err.find("holds 'Adam' optimizer state, not Momentum state"), std::string::npos) << err;
  EXPECT_EQ(Snapshot::of(opt), before);

  // Another architecture: parameter shapes differ.
  manual_seed(0);
  nn::Sequential wide(nn::Linear(4, 16), nn::ReLU(), nn::Linear(16, 3));
  optim::Momentum wide_opt(wide.parameters(), {.lr = 0.5});
  optim::save_state(wide_opt, tmp / "wide.ckpt");
  err = load_error([&] { optim::load_state(opt, tmp / "wide.ckpt"); });
  EXPECT_NE(err.find("parameter 0: the optimizer's has shape [8, 4]"), std::string::npos) << err;
  EXPECT_EQ(Snapshot::of(opt), before);

  // Schedule state present but no schedule given, and the reverse.
  optim::StepLR sched(opt, 2);
  optim::save_state(opt, sched, tmp / "with_sched.ckpt");
  err = load_error([&] { optim::load_state(opt, tmp / "with_sched.ckpt"); });
  EXPECT_NE(err.find("unexpected in the file: 'scheduler.StepLR.last_epoch'"), std::string::npos) << err;
  optim::save_state(opt, tmp / "plain.ckpt");
  optim::ExponentialLR exp(opt, 0.5);
  const auto exp_state = exp.state();
  err = load_error([&] { optim::load_state(opt, exp, tmp / "plain.ckpt"); });
  EXPECT_NE(err.find("missing 'scheduler.ExponentialLR.last_epoch'"), std::string::npos) << err;
  EXPECT_EQ(exp.state().last_epoch, exp_state.last_epoch);
  EXPECT_EQ(Snapshot::of(opt), before);

  // A model checkpoint is not optimizer state.
  nn::save(run.model, tmp / "model.ckpt");
  err = load_error([&] { optim::load_state(opt, tmp / "model.ckpt"); });
  EXPECT_NE(err.find("unexpected in the file: '0.weight'"), std::string::npos) << err;
  EXPECT_EQ(Snapshot::of(opt), before);

  // Corruption: one flipped byte in the values fails the checksum.
  optim::Momentum twin(run.model.parameters(), {.lr = 0.05});
  train(run, 3, 4);  // gives `opt` new velocities, then save them and restore `before`'s copy below
  optim::save_state(opt, tmp / "good.ckpt");
  const Snapshot after = Snapshot::of(opt);
  {
    std::fstream f(tmp / "good.ckpt", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-20, std::ios::end);
    char c;
    f.read(&c, 1);
    f.seekp(-20, std::ios::end);
    c = static_cast<char>(c ^ 0x01);
    f.write(&c, 1);
  }
  err = load_error([&] { optim::load_state(twin, tmp / "good.ckpt"); });
  EXPECT_NE(err.find("load_state: '"), std::string::npos) << err;
  EXPECT_NE(err.find("checksum mismatch"), std::string::npos) << err;
  EXPECT_FALSE(twin.velocity(0).defined());
  EXPECT_EQ(twin.lr(), 0.05);
  EXPECT_EQ(Snapshot::of(opt), after);

  // Missing file, empty path.
  err = load_error([&] { optim::load_state(opt, tmp / "nope.ckpt"); });
  EXPECT_NE(err.find("load_state: cannot open"), std::string::npos) << err;
  EXPECT_THROW(optim::load_state(opt, ""), ValueError);
}

TEST(OptimState, SaveIsAtomicAndReportsIOErrors) {
  TempDir tmp;
  TrainRun run = make_run(0, adam(), nullptr);
  train(run, 0, 2);
  const std::string err = load_error([&] { optim::save_state(*run.opt, tmp / "no/such/dir/s.ckpt"); });
  EXPECT_NE(err.find("save_state: cannot write"), std::string::npos) << err;
  // A failed save over an existing file leaves it as it was: a directory cannot be replaced.
  fs::create_directories(tmp / "adir");
  EXPECT_THROW(optim::save_state(*run.opt, tmp / "adir"), ValueError);
  EXPECT_TRUE(fs::is_directory(tmp / "adir"));
  std::size_t files = 0;
  for ([[maybe_unused]] auto& e : fs::directory_iterator(tmp.dir)) ++files;
  EXPECT_EQ(files, 1u);  // no temporary file left behind
}

TEST(OptimState, FreshOptimizerAndParametersWithoutGradRoundTrip) {
  TempDir tmp;
  auto model = make_model(0);
  optim::Adam opt(model.parameters());
  optim::save_state(opt, tmp / "fresh.ckpt");  // no state yet
  optim::Adam opt2(model.parameters(), {.lr = 0.5});
  optim::load_state(opt2, tmp / "fresh.ckpt");
  EXPECT_EQ(opt2.lr(), 1e-3);
  EXPECT_EQ(opt2.step_count(0), 0u);
}

}  // namespace
}  // namespace xg
