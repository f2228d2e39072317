// Threads: grad mode and anomaly mode are per thread; two threads training independent models
// at the same time get bit-identical results to training them one after the other; the global
// generator is safe to share (every draw happens exactly once). Run under ThreadSanitizer by
// `bash scripts/test.sh --tsan` (OPENBLAS_NUM_THREADS=1).
#include <gtest/gtest.h>

#include <algorithm>
#include <barrier>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <autodiff/anomaly.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace {

using xg::Tensor;
namespace F = xg::nn::functional;

// ---------------------------------------------------------------------------- grad mode

TEST(Threads, NoGradGuardInOneThreadDoesNotAffectAnother) {
  std::barrier sync(2);
  bool a_inside = true, b_enabled = false, b_records = false, a_records = true;
  std::thread a([&] {
    xg::NoGradGuard guard;
    a_inside = xg::is_grad_enabled();
    sync.arrive_and_wait();  // 1: A is inside its guard
    auto x = xg::ones({2}).requires_grad_();
    a_records = (x * 2.0).requires_grad();
    sync.arrive_and_wait();  // 2: B has looked
  });
  std::thread b([&] {
    sync.arrive_and_wait();  // 1
    b_enabled = xg::is_grad_enabled();
    auto x = xg::ones({2}).requires_grad_();
    b_records = (x * 2.0).requires_grad();
    sync.arrive_and_wait();  // 2
  });
  a.join();
  b.join();
  EXPECT_FALSE(a_inside);
  EXPECT_FALSE(a_records);
  EXPECT_TRUE(b_enabled);
  EXPECT_TRUE(b_records);
  EXPECT_TRUE(xg::is_grad_enabled());  // the main thread never saw either
}

TEST(Threads, NewThreadStartsWithGradEnabledWhateverTheSpawningThreadSet) {
  xg::NoGradGuard guard;
  ASSERT_FALSE(xg::is_grad_enabled());
  bool enabled = false;
  std::thread([&] { enabled = xg::is_grad_enabled(); }).join();
  EXPECT_TRUE(enabled);
  EXPECT_FALSE(xg::is_grad_enabled());
}

TEST(Threads, AnomalyModeIsPerThread) {
  std::barrier sync(2);
  bool a_on = false, b_on = true;
  std::thread a([&] {
    xg::DetectAnomalyGuard guard;
    a_on = xg::is_anomaly_enabled();
    sync.arrive_and_wait();
    sync.arrive_and_wait();
  });
  std::thread b([&] {
    sync.arrive_and_wait();
    b_on = xg::is_anomaly_enabled();
    sync.arrive_and_wait();
  });
  a.join();
  b.join();
  EXPECT_TRUE(a_on);
  EXPECT_FALSE(b_on);
}

// ------------------------------------------------------------------------ training

struct RunResult {
  std::vector<double> losses;
  std::vector<double> state;  // every parameter and buffer at the end, then a reload's values
};

/// Values from a private generator: no use of xg's global generator, so the run depends on
/// `seed` alone, whichever thread runs it and whatever runs beside it.
std::vector<double> values(std::mt19937_64& gen, std::size_t n, double scale) {
  std::normal_distribution<double> dist(0.0, scale);
  std::vector<double> out(n);
  for (auto& v : out) v = dist(gen);
  return out;
}

/// Trains a small classifier (Linear, BatchNorm1d, ReLU, Linear; cross-entropy; Adam or
/// Momentum by seed), 3 epochs through a shuffling DataLoader, then saves and reloads it.
RunResult train(std::uint64_t seed, const std::string& tag) {
  std::mt19937_64 gen(seed);
  const std::size_t n = 48, features = 5, classes = 3;
  Tensor x = xg::from_vector(values(gen, n * features, 1.0), {n, features});
  std::vector<double> labels(n);
  for (std::size_t i = 0; i < n; ++i) labels[i] = static_cast<double>(gen() % classes);
  Tensor y = xg::from_vector(labels, {n});

  xg::nn::Sequential model(xg::nn::Linear(features, 16), xg::nn::BatchNorm1d(16), xg::nn::ReLU(),
                           xg::nn::Linear(16, classes));
  {
    xg::NoGradGuard no_grad;  // weights from the private generator, not the global one
    for (auto& p : model.parameters()) p.copy_(xg::from_vector(values(gen, p.numel(), 0.3), p.shape()));
  }
  std::unique_ptr<xg::optim::Optimizer> opt;
  if (seed % 2 == 0) opt = std::make_unique<xg::optim::Adam>(model.parameters(), xg::optim::AdamOptions{.lr = 0.01});
  else opt = std::make_unique<xg::optim::Momentum>(model.parameters(), xg::optim::MomentumOptions{.lr = 0.05});

  RunResult r;
  xg::nn::DataLoader loader(xg::nn::TensorDataset(x, y), {.batch_size = 8, .shuffle = true, .seed = seed});
  for (int epoch = 0; epoch < 3; ++epoch)
    for (auto [bx, by] : loader) {
      opt->zero_grad();
      Tensor loss = F::cross_entropy(model(bx), by);
      loss.backward();
      opt->step();
      r.losses.push_back(loss.item());
    }
  model.eval();
  {
    xg::NoGradGuard no_grad;
    r.losses.push_back(F::cross_entropy(model(x), y).item());
  }
  for (auto& p : model.parameters())
    for (double v : p.to_vector()) r.state.push_back(v);
  for (auto& [name, b] : model.named_buffers())
    for (double v : b.to_vector()) r.state.push_back(v);

  // Checkpoints from threads: each its own file.
  const std::string path = ::testing::TempDir() + "xgrad_threads_" + std::to_string(::getpid()) + "_" + tag + ".ckpt";
  xg::nn::save(model, path);
  xg::nn::Sequential copy(xg::nn::Linear(features, 16), xg::nn::BatchNorm1d(16), xg::nn::ReLU(),
                          xg::nn::Linear(16, classes));
  xg::nn::load(copy, path);
  std::remove(path.c_str());
  for (auto& p : copy.parameters())
    for (double v : p.to_vector()) r.state.push_back(v);
  return r;
}

bool bit_identical(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(Threads, TwoModelsTrainedConcurrentlyMatchSequentialRunsBitForBit) {
  const RunResult seq_a = train(11, "seq_a");
  const RunResult seq_b = train(12, "seq_b");
  ASSERT_FALSE(bit_identical(seq_a.state, seq_b.state));  // two different problems
  ASSERT_LT(seq_a.losses.back(), seq_a.losses.front());  // and each one learns
  ASSERT_LT(seq_b.losses.back(), seq_b.losses.front());
  for (int round = 0; round < 3; ++round) {
    RunResult par_a, par_b;
    std::thread ta([&] { par_a = train(11, "par_a"); });
    std::thread tb([&] { par_b = train(12, "par_b"); });
    ta.join();
    tb.join();
    EXPECT_TRUE(bit_identical(par_a.losses, seq_a.losses)) << "round " << round;
    EXPECT_TRUE(bit_identical(par_a.state, seq_a.state)) << "round " << round;
    EXPECT_TRUE(bit_identical(par_b.losses, seq_b.losses)) << "round " << round;
    EXPECT_TRUE(bit_identical(par_b.state, seq_b.state)) << "round " << round;
  }
}

TEST(Threads, TensorsMadeInOneThreadAreFreedInAnother) {
  // The per-thread buffer cache: blocks allocated by a worker, released on the main thread
  // (and the worker's cache reaped at its exit) — no leak, no double free, no race.
  std::vector<Tensor> made;
  std::thread([&] {
    for (int i = 0; i < 64; ++i) made.push_back(xg::full({static_cast<std::size_t>(i + 1)}, i) * 2.0);
  }).join();
  double total = 0;
  for (auto& t : made) total += t.sum().item();
  made.clear();
  double expected = 0;
  for (int i = 0; i < 64; ++i) expected += 2.0 * i * (i + 1);
  EXPECT_EQ(total, expected);
}

TEST(Threads, GlobalGeneratorIsSafeToShare) {
  // The global generator is shared by all threads (one mutex-guarded stream): concurrent draws
  // interleave, so a thread's numbers depend on the others', but no draw is lost or repeated:
  // the two threads together get exactly the numbers one thread would have drawn.
  constexpr int kDraws = 500;
  xg::manual_seed(123);
  std::vector<double> sequential;
  for (int i = 0; i < 2 * kDraws; ++i) sequential.push_back(xg::rand({1}, xg::kFloat64).item());

  xg::manual_seed(123);
  std::vector<double> a, b;
  std::thread ta([&] {
    for (int i = 0; i < kDraws; ++i) a.push_back(xg::rand({1}, xg::kFloat64).item());
  });
  std::thread tb([&] {
    for (int i = 0; i < kDraws; ++i) b.push_back(xg::rand({1}, xg::kFloat64).item());
  });
  ta.join();
  tb.join();
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  std::sort(sequential.begin(), sequential.end());
  EXPECT_EQ(a, sequential);
}

TEST(Threads, ConcurrentMatmulsAndBackwardOnSharedInputs) {
  // Several threads reading the same leaf tensors (no writes) and each running its own backward.
  Tensor w = xg::from_vector(std::vector<double>(64 * 32, 0.01), {64, 32}, xg::kFloat64);
  Tensor x = xg::from_vector(std::vector<double>(16 * 64, 0.5), {16, 64}, xg::kFloat64);
  std::vector<double> sums(4);
  std::vector<std::thread> ts;
  for (int k = 0; k < 4; ++k)
    ts.emplace_back([&, k] {
      Tensor v = x.detach().requires_grad_();
      Tensor out = xg::tanh(v.matmul(w)).sum();
      out.backward();
      sums[static_cast<std::size_t>(k)] = v.grad().sum().item();
    });
  for (auto& t : ts) t.join();
  for (int k = 1; k < 4; ++k) EXPECT_EQ(sums[static_cast<std::size_t>(k)], sums[0]);
}

}  // namespace
