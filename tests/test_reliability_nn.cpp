// Reliability of xg::nn and the schedules under hostile use (the hostile-input probe's findings):
//  - DataLoader batch arithmetic with batch sizes up to SIZE_MAX (no wrap-around);
//  - the module graph: cycles refused at registration (ValueError naming both modules), walks
//    and destruction iterative (a 100,000-deep chain of Sequentials), a seeded fuzz of random
//    registrations against a reference model;
//  - schedules whose loaded counters sit at INT64_MAX: step() refuses, no signed overflow
//    (the ASan build runs UBSan with -fno-sanitize-recover);
//  - nn::init's errors name the init function and follow torch.nn.init 1.13 (fewer than 2 dims,
//    zero-element tensors, non-finite arguments).
#include <gtest/gtest.h>
#include <pthread.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <nn/nn.hpp>
#include <optim/optim.hpp>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "expect_error.hpp"

namespace xg {
namespace {

using xg::testing::expect_error;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kI64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();

// Runs f on a thread with a stack of only `bytes`: a recursive walk a few thousand levels deep
// overflows it, an iterative one does not. An exception from f is rethrown here.
void run_with_stack(std::size_t bytes, const std::function<void()>& f) {
  struct Job {
    const std::function<void()>* f;
    std::exception_ptr error;
  } job{&f, nullptr};
  pthread_attr_t attr;
  ASSERT_EQ(pthread_attr_init(&attr), 0);
  ASSERT_EQ(pthread_attr_setstacksize(&attr, bytes), 0);
  pthread_t thread;
  auto body = [](void* p) -> void* {
    auto* j = static_cast<Job*>(p);
    try {
      (*j->f)();
    } catch (...) {
      j->error = std::current_exception();
    }
    return nullptr;
  };
  ASSERT_EQ(pthread_create(&thread, &attr, body, &job), 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  if (job.error) std::rethrow_exception(job.error);
}

bool close(const Tensor& a, const Tensor& b) {
  const auto u = a.to_vector(), v = b.to_vector();
  if (a.shape() != b.shape()) return false;
  for (std::size_t i = 0; i < u.size(); ++i)
    if (std::abs(u[i] - v[i]) > 1e-6) return false;
  return true;
}

// ================================================================================ DataLoader
//
// PyTorch 1.13 (Debian python3-torch), /tmp script:
//   import torch
//   from torch.utils.data import TensorDataset, DataLoader
//   ds = TensorDataset(torch.arange(10.).reshape(10, 1), torch.arange(10.))
//   for bs in [2**64 - 1, 2**63, 2**32 + 1, 11, 10, 9, 3]:
//       print("len", bs, [len(DataLoader(ds, batch_size=bs, drop_last=dl)) for dl in (False, True)])
//   for dl in (False, True):  # 1.13's BatchSampler preallocates [0] * batch_size: 10**6 here
//       print("iter", dl, [(tuple(x.shape), y.tolist())
//                          for x, y in DataLoader(ds, batch_size=10**6, drop_last=dl)])
//   empty = TensorDataset(torch.zeros(0, 1), torch.zeros(0))
//   print("empty", len(DataLoader(empty, batch_size=2**64 - 1)))
// gives
//   len 18446744073709551615 [1, 0] / len 9223372036854775808 [1, 0] / len 4294967297 [1, 0]
//   len 11 [1, 0] / len 10 [1, 1] / len 9 [2, 1] / len 3 [4, 3]
//   iter False [((10, 1), [0.0, 1.0, ..., 9.0])] / iter True [] / empty 0

nn::TensorDataset counting(std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(i);
  return nn::TensorDataset(from_vector(v, {n, 1}, kFloat64), from_vector(v, {n}, kFloat64));
}

struct EpochSeen {
  std::size_t batches = 0;
  std::vector<std::size_t> batch_sizes;
  std::vector<double> ids;
};

EpochSeen run_epoch(nn::DataLoader& loader) {
  EpochSeen seen;
  for (auto [x, y] : loader) {
    ++seen.batches;
    seen.batch_sizes.push_back(x.shape()[0]);
    for (double v : y.to_vector()) seen.ids.push_back(v);
  }
  return seen;
}

TEST(HostileDataLoader, HugeBatchSizesGiveTorchsBatchCounts) {
  struct Case {
    std::size_t batch_size, batches, batches_drop_last;
  };
  const Case cases[] = {{kSizeMax, 1, 0},
                        {kSizeMax - 1, 1, 0},
                        {std::size_t{1} << 63, 1, 0},
                        {(std::size_t{1} << 32) + 1, 1, 0},
                        {11, 1, 0},
                        {10, 1, 1},
                        {9, 2, 1},
                        {3, 4, 3}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.batch_size);
    EXPECT_EQ(nn::DataLoader(counting(10), {.batch_size = c.batch_size}).size(), c.batches);
    EXPECT_EQ(nn::DataLoader(counting(10), {.batch_size = c.batch_size, .drop_last = true}).size(),
              c.batches_drop_last);
  }
  EXPECT_EQ(nn::DataLoader(counting(0), {.batch_size = kSizeMax}).size(), 0u);
  EXPECT_EQ(nn::DataLoader(counting(0), {.batch_size = kSizeMax, .drop_last = true}).size(), 0u);
}

TEST(HostileDataLoader, HugeBatchSizeIteratesOneBatchOfEverySample) {
  const std::vector<double> all = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  for (std::size_t b : {kSizeMax, kSizeMax - 1, std::size_t{1} << 63, std::size_t{1000000}}) {
    SCOPED_TRACE(b);
    nn::DataLoader plain(counting(10), {.batch_size = b});
    const EpochSeen seen = run_epoch(plain);
    EXPECT_EQ(seen.batches, 1u);
    EXPECT_EQ(seen.batch_sizes, std::vector<std::size_t>{10});
    EXPECT_EQ(seen.ids, all);

    nn::DataLoader shuffled(counting(10), {.batch_size = b, .shuffle = true, .seed = 5});
    EpochSeen s = run_epoch(shuffled);
    EXPECT_EQ(s.batch_sizes, std::vector<std::size_t>{10});
    std::sort(s.ids.begin(), s.ids.end());
    EXPECT_EQ(s.ids, all);

    nn::DataLoader dropped(counting(10), {.batch_size = b, .drop_last = true});
    EXPECT_EQ(run_epoch(dropped).batches, 0u);
    EXPECT_EQ(dropped.begin(), dropped.end());
  }
  nn::DataLoader empty(counting(0), {.batch_size = kSizeMax});
  EXPECT_EQ(run_epoch(empty).batches, 0u);
}

TEST(HostileDataLoader, LastPartialBatchNearTheLimitDoesNotWrap) {
  // 7 samples in batches of 3: {3, 3, 1}; the last batch's end is start + min(b, n - start).
  nn::DataLoader loader(counting(7), {.batch_size = 3});
  const EpochSeen seen = run_epoch(loader);
  EXPECT_EQ(seen.batch_sizes, (std::vector<std::size_t>{3, 3, 1}));
  EXPECT_EQ(seen.ids, (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
  // Dereferencing past the end stays a ValueError with a huge batch size.
  nn::DataLoader huge(counting(4), {.batch_size = kSizeMax});
  auto it = huge.begin();
  ++it;
  EXPECT_EQ(it, huge.end());
  expect_error<ValueError>([&] { (void)*it; }, {"DataLoader", "past the end"});
}

// ================================================================================ module graph

// A user module that registers whatever it is given (register_module is protected).
struct Node : nn::Module {
  std::string label;
  explicit Node(std::string l) : label(std::move(l)) {}
  template <class M>
  void adopt(const std::string& name, M m) {
    register_module(name, std::move(m));
  }
  std::string repr() const override { return "Node(" + label + ")"; }
  Tensor forward(const Tensor& x) override {
    Tensor y = x;
    for (const auto& [_, child] : named_children()) y = (*child)(y);
    return y;
  }
};

// expect_error, then true when it passed (so a test can stop before using a cyclic graph).
template <class E>
bool refused(const std::function<void()>& f, const std::vector<std::string>& parts) {
  const int before = ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count();
  expect_error<E>(f, parts);
  return ::testing::UnitTest::GetInstance()->current_test_info()->result()->total_part_count() == before;
}

TEST(ModuleGraph, CycleThroughPushBackIsRefused) {
  nn::Sequential s1(nn::Linear(2, 2)), s2(nn::Linear(2, 2));
  s1.push_back(s2);
  ASSERT_TRUE(refused<ValueError>([&] { s2.push_back(s1); }, {"Sequential", "cycle", "'1'"}));
  // Both stay usable and unchanged.
  EXPECT_EQ(s1.size(), 2u);
  EXPECT_EQ(s2.size(), 1u);
  EXPECT_EQ(s1.parameters().size(), 4u);
  EXPECT_EQ(s2.parameters().size(), 2u);
  s1.eval();
  EXPECT_FALSE(s2.is_training());
  EXPECT_EQ(s1(ones({1, 2})).shape(), (Shape{1, 2}));
  s2.push_back(nn::ReLU());  // a legal registration still works
  EXPECT_EQ(s2.size(), 2u);
  EXPECT_EQ(s1.to_string(),
            "Sequential(\n"
            "  (0): Linear(in=2, out=2, bias=true)\n"
            "  (1): Sequential(\n"
            "    (0): Linear(in=2, out=2, bias=true)\n"
            "    (1): ReLU()\n"
            "  )\n"
            ")");
}

TEST(ModuleGraph, SelfContainmentIsRefused) {
  nn::Sequential s(nn::Linear(2, 2));
  ASSERT_TRUE(refused<ValueError>([&] { s.push_back(s); }, {"Sequential", "cannot contain itself"}));
  Node n("n");
  ASSERT_TRUE(refused<ValueError>([&] { n.adopt("me", n); }, {"Node(n)", "'me'", "cannot contain itself"}));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(n.named_children().empty());
}

TEST(ModuleGraph, ThreeCycleThroughRegisterModuleIsRefusedNamingBoth) {
  Node a("a"), b("b"), c("c");
  a.adopt("b", b);
  b.adopt("c", c);
  // c would contain a, which contains c through a.b.c.
  ASSERT_TRUE(refused<ValueError>([&] { c.adopt("a", a); },
                                  {"Node(c)", "Node(a)", "'a'", "cycle", "already contains", "'b.c'"}));
  EXPECT_TRUE(c.named_children().empty());
  // Usable afterwards: the tree a → b → c walks, prints and accepts a legal child.
  c.adopt("lin", nn::Linear(3, 3));
  EXPECT_EQ(a.named_parameters()[0].first, "b.c.lin.weight");
  EXPECT_EQ(a.to_string(),
            "Node(a)(\n"
            "  (b): Node(b)(\n"
            "    (c): Node(c)(\n"
            "      (lin): Linear(in=3, out=3, bias=true)\n"
            "    )\n"
            "  )\n"
            ")");
  EXPECT_EQ(a(ones({2, 3})).shape(), (Shape{2, 3}));
}

TEST(ModuleGraph, LongCycleIsRefusedAndSharingStaysAllowed) {
  // A chain top → ... → bottom of 1,000 Sequentials built top-down; bottom may not take top.
  nn::Sequential top;
  nn::Sequential cur = top;
  for (int i = 0; i < 1000; ++i) {
    nn::Sequential next;
    cur.push_back(next);
    cur = next;
  }
  ASSERT_TRUE(refused<ValueError>([&] { cur.push_back(top); }, {"cycle", "Sequential"}));
  // A shared module (a DAG, not a cycle) is fine and listed once per path, as before.
  nn::Linear shared(2, 2);
  nn::Sequential left(shared), right(shared);
  nn::Sequential both(left, right, shared);
  EXPECT_EQ(both.parameters().size(), 6u);
  EXPECT_EQ(both.named_parameters()[4].first, "2.weight");
  EXPECT_EQ(both.parameters()[0].impl(), both.parameters()[4].impl());
}

TEST(ModuleGraph, AssigningToARegisteredSubmoduleIsCheckedAsARegistration) {
  nn::Sequential s1(nn::Linear(2, 2)), s2;
  s2.push_back(nn::Sequential(nn::Linear(2, 2)));  // s2 = [Sequential[Linear]]
  ASSERT_TRUE(refused<ValueError>([&] { s1[0] = s1; }, {"cannot contain itself", "'0'"}));
  s1.push_back(s2);  // s1 = [Linear, s2]
  // s2[0] is a registered Sequential: rebinding it to s1 would close s1 → s2 → s1.
  ASSERT_TRUE(refused<ValueError>([&] { dynamic_cast<nn::Sequential&>(s2[0]) = s1; }, {"cycle", "'0'"}));
  EXPECT_EQ(s1.parameters().size(), 4u);
  // A legal rebinding replaces the layer, parameters and forward alike.
  nn::Linear replacement(2, 2, /*bias=*/false);
  dynamic_cast<nn::Linear&>(s1[0]) = replacement;
  EXPECT_EQ(s1.parameters().size(), 3u);
  EXPECT_EQ(s1.parameters()[0].impl(), replacement.weight.impl());
  EXPECT_EQ(s1(ones({1, 2})).shape(), (Shape{1, 2}));
  // The replaced subtree can take back what the old binding held: no stale bookkeeping.
  nn::Sequential fresh;
  dynamic_cast<nn::Sequential&>(s2[0]) = fresh;
  EXPECT_EQ(s1.parameters().size(), 1u);
  fresh.push_back(nn::Linear(2, 2));
  EXPECT_EQ(s1.parameters().size(), 3u);
  ASSERT_TRUE(refused<ValueError>([&] { fresh.push_back(s1); }, {"cycle"}));
}

// The chain of the probe: `depth` Sequentials, each the only child of the next, the innermost
// holding `leaf`. Built bottom-up (each new Sequential takes the chain so far).
nn::Sequential bottom_up_chain(int depth, const nn::Linear& leaf) {
  nn::Sequential cur(leaf);
  for (int i = 1; i < depth; ++i) {
    nn::Sequential next;
    next.push_back(cur);
    cur = next;
  }
  return cur;
}

std::string zeros_path(int components) {
  std::string p;
  for (int i = 0; i < components; ++i) p += i ? ".0" : "0";
  return p;
}

constexpr int kDeep = 100000;

TEST(ModuleGraph, HundredThousandDeepChainWalksIteratively) {
  const auto start = std::chrono::steady_clock::now();
  nn::Linear leaf(2, 3);
  nn::Sequential chain = bottom_up_chain(kDeep, leaf);
  const std::string leaf_path = zeros_path(kDeep);  // kDeep Sequentials: the Linear is kDeep levels down

  const auto named = chain.named_parameters();
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].first, leaf_path + ".weight");
  EXPECT_EQ(named[1].first, leaf_path + ".bias");
  EXPECT_EQ(named[0].second.impl(), leaf.weight.impl());
  const auto params = chain.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[1].impl(), leaf.bias.impl());
  EXPECT_EQ(chain.num_parameters(), 9u);
  EXPECT_TRUE(chain.named_buffers().empty());
  EXPECT_TRUE(chain.buffers().empty());

  chain.train(false);
  EXPECT_FALSE(leaf.is_training());
  EXPECT_FALSE(chain.is_training());
  chain.train();
  EXPECT_TRUE(leaf.is_training());

  // forward through 100,000 nested Sequentials, backward, zero_grad.
  Tensor y = chain(ones({4, 2}));
  EXPECT_EQ(y.shape(), (Shape{4, 3}));
  y.sum().backward();
  ASSERT_TRUE(leaf.weight.grad().defined());
  chain.zero_grad();
  EXPECT_FALSE(leaf.weight.grad().defined());
  EXPECT_FALSE(leaf.bias.grad().defined());

  // The gradient monitor walks the model too.
  nn::GradientMonitor monitor(chain);
  const auto report = monitor.check();
  ASSERT_EQ(report.layers.size(), 1u);
  EXPECT_EQ(report.layers[0].name, leaf_path);
  EXPECT_EQ(report.layers[0].kind, "Linear(in=2, out=3, bias=true)");

  chain = nn::Sequential();  // drops the only handle: destruction of the chain is iterative too
  EXPECT_EQ(chain.size(), 0u);
  EXPECT_TRUE(leaf.is_training());  // the leaf outlives the chain through its own handle
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0);  // O(depth) per walk: well under a second in Release
}

TEST(ModuleGraph, HundredThousandDeepChainBuiltTopDownIsDestroyedIteratively) {
  nn::Linear leaf(3, 1);
  {
    nn::Sequential top;
    nn::Sequential cur = top;
    for (int i = 1; i < kDeep; ++i) {  // each registration walks only the fresh child: O(1)
      nn::Sequential next;
      cur.push_back(next);
      cur = next;
    }
    cur.push_back(leaf);
    EXPECT_EQ(top.named_parameters()[0].first, zeros_path(kDeep) + ".weight");
    top.eval();
    EXPECT_FALSE(leaf.is_training());
  }  // top and cur go: the chain is freed without recursion (LeakSanitizer checks nothing is left)
  EXPECT_FALSE(leaf.is_training());
  EXPECT_EQ(leaf(ones({1, 3})).shape(), (Shape{1, 1}));
}

TEST(ModuleGraph, DeepChainOfUserModulesIsDestroyedIteratively) {
  // User modules that also keep their child as a member (the documented pattern) share the
  // child's state between the member and the registered copy.
  struct Wrap : nn::Module {
    nn::Module inner;
    explicit Wrap(const nn::Module& m) : inner(m) { register_module("inner", inner); }
  };
  // On a 256 KiB stack, where even a few thousand recursive destructor frames do not fit.
  run_with_stack(256 * 1024, [] {
    nn::Module cur;
    for (int i = 0; i < kDeep; ++i) cur = Wrap(cur);
    EXPECT_EQ(cur.named_children().size(), 1u);
    cur.train(false);
    EXPECT_FALSE(cur.named_children()[0].second->is_training());
    EXPECT_TRUE(cur.parameters().empty());
    cur = nn::Module();  // the last handle on the chain
  });
}

TEST(ModuleGraph, ToStringOfADeepChainNeedsNoCallStack) {
  // 3,000 levels on a 128 KiB stack: the recursive printer needed far more. (A 100,000-deep
  // chain prints 10^10 characters of indentation, so the depth here is smaller.)
  constexpr int depth = 3000;
  nn::Sequential chain = bottom_up_chain(depth, nn::Linear(1, 1));
  std::string text;
  run_with_stack(128 * 1024, [&] { text = chain.to_string(); });
  std::string expected;
  for (int d = 0; d < depth; ++d) {
    if (d) expected += std::string(2 * d, ' ') + "(0): ";
    expected += "Sequential(\n";
  }
  expected += std::string(2 * depth, ' ') + "(0): Linear(in=1, out=1, bias=true)\n";
  for (int d = depth - 1; d >= 0; --d) expected += std::string(2 * d, ' ') + (d ? ")\n" : ")");
  EXPECT_EQ(text.size(), expected.size());
  EXPECT_TRUE(text == expected);
  // The other walks and the destruction fit the small stack as well.
  run_with_stack(128 * 1024, [&] {
    nn::Sequential local = bottom_up_chain(depth, nn::Linear(1, 1));
    if (local.named_parameters().size() != 2 || local.parameters().size() != 2)
      throw std::runtime_error("wrong parameter count");
    local.train(false);
    local.zero_grad();
    (void)local(ones({1, 1}));
  });
}

TEST(ModuleGraph, NestedSequentialForwardRunsHooksAsNestedCalls) {
  std::vector<std::string> log;
  nn::Linear l1(2, 3), l2(3, 3);
  nn::Tanh tanh_layer;
  nn::Sequential inner1(l1, nn::ReLU());
  nn::Sequential inner2(tanh_layer);
  nn::Sequential outer(inner1, l2, inner2);
  Tensor inner1_out, l2_in, l2_out, inner2_in;
  std::vector<nn::HookHandle> hooks;
  hooks.push_back(
      l1.register_forward_hook([&](nn::Module&, const Tensor&, const Tensor&) { log.push_back("l1"); }));
  hooks.push_back(inner1.register_forward_hook([&](nn::Module& m, const Tensor&, const Tensor& out) {
    log.push_back(m.repr() + " inner1");
    inner1_out = out;
  }));
  hooks.push_back(l2.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor& out) {
    log.push_back("l2");
    l2_in = in;
    l2_out = out;
  }));
  hooks.push_back(inner2.register_forward_hook([&](nn::Module&, const Tensor& in, const Tensor&) {
    log.push_back("inner2");
    inner2_in = in;
  }));
  hooks.push_back(outer.register_forward_hook(
      [&](nn::Module&, const Tensor&, const Tensor&) { log.push_back("outer"); }));
  const Tensor x = ones({1, 2});
  const Tensor y = outer(x);
  EXPECT_EQ(log, (std::vector<std::string>{"l1", "Sequential inner1", "l2", "inner2", "outer"}));
  EXPECT_EQ(inner1_out.impl(), l2_in.impl());  // a nested Sequential's output feeds the next layer
  EXPECT_EQ(l2_out.impl(), inner2_in.impl());
  EXPECT_TRUE(close(y, tanh(l2(relu(l1(x))))));
  // A Sequential subclass with its own forward is called through it, not flattened.
  struct Doubling : nn::Sequential {
    Tensor forward(const Tensor& x) override { return nn::Sequential::forward(x) * 2.0; }
  };
  Doubling twice;
  twice.push_back(nn::Identity());
  nn::Sequential wrapper(twice);
  EXPECT_TRUE(close(wrapper(ones({2})), full({2}, 2.0)));
}

// ------------------------------------------------------------------------------ fuzz

// Counts its live Module objects (handles and registered copies), to see that dropping every
// handle frees every module (and LeakSanitizer sees the rest of the graph).
struct Probe : nn::Module {
  static inline int live = 0;
  Probe() { ++live; }
  Probe(const Probe& o) : nn::Module(o) { ++live; }
  Probe& operator=(const Probe&) = default;
  ~Probe() override { --live; }
  std::string repr() const override { return "Probe()"; }
};

// A user module that registers children (a parameter of its own, counted like Probe).
struct FuzzNode : nn::Module {
  static inline int live = 0;
  Tensor w;
  FuzzNode() {
    ++live;
    w = register_parameter("w", zeros({2}));
  }
  FuzzNode(const FuzzNode& o) : nn::Module(o), w(o.w) { ++live; }
  FuzzNode& operator=(const FuzzNode&) = default;
  ~FuzzNode() override { --live; }
  template <class M>
  void adopt(const std::string& name, M m) {
    register_module(name, std::move(m));
  }
};

// The recursive printer as it was before the walks became iterative (through the public API):
// the iterative to_string must give exactly this.
void reference_tree(const nn::Module& m, std::string& out, int indent) {
  out += m.repr();
  if (m.named_children().empty()) return;
  out += "(\n";
  for (const auto& [name, child] : m.named_children()) {
    out += std::string(indent + 2, ' ') + "(" + name + "): ";
    reference_tree(*child, out, indent + 2);
    out += "\n";
  }
  out += std::string(indent, ' ') + ")";
}

TEST(ModuleGraphFuzz, RandomRegistrationsAreRefusedExactlyWhenTheyCloseACycle) {
  using Handle = std::variant<nn::Sequential, nn::Linear, FuzzNode, Probe>;
  struct RefNode {
    std::vector<std::pair<std::string, int>> children;     // registration order
    std::vector<std::pair<std::string, std::size_t>> own;  // (parameter name, numel)
    int next_name = 0;                                     // FuzzNode child names
    bool seq = false;                                      // an nn::Sequential
  };
  std::vector<RefNode> ref;
  std::vector<std::optional<Handle>> handles;  // index = node id; nullopt once dropped
  std::mt19937_64 rng(20240611);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  // Reference: is `target` reachable from `from` (or equal)?
  auto reaches = [&](int from, int target) {
    std::vector<int> stack{from};
    std::vector<char> seen(ref.size(), 0);
    while (!stack.empty()) {
      const int n = stack.back();
      stack.pop_back();
      if (n == target) return true;
      if (seen[n]) continue;
      seen[n] = 1;
      for (const auto& [_, c] : ref[n].children) stack.push_back(c);
    }
    return false;
  };
  // Every node that reaches `target` (target included), by a walk up the reversed edges.
  auto ancestors_of = [&](int target) {
    std::vector<std::vector<int>> parents(ref.size());
    for (std::size_t n = 0; n < ref.size(); ++n)
      for (const auto& [_, c] : ref[n].children) parents[c].push_back(static_cast<int>(n));
    std::vector<char> seen(ref.size(), 0);
    std::vector<int> stack{target}, out;
    seen[target] = 1;
    while (!stack.empty()) {
      const int n = stack.back();
      stack.pop_back();
      out.push_back(n);
      for (int q : parents[n])
        if (!seen[q]) {
          seen[q] = 1;
          stack.push_back(q);
        }
    }
    return out;
  };
  // Number of paths from n (its unfolded tree size), saturating: what a walk costs.
  auto unfolded = [&](int n) {
    std::vector<double> memo(ref.size(), -1);
    std::function<double(int)> size = [&](int k) {
      if (memo[k] >= 0) return memo[k];
      double s = 1;
      for (const auto& [_, c] : ref[k].children) s += size(c);
      return memo[k] = std::min(s, 1e18);
    };
    return size(n);
  };
  // Reference names and element count, per path, in pre-order.
  std::function<void(int, const std::string&, std::vector<std::string>&, std::size_t&)> ref_params =
      [&](int n, const std::string& prefix, std::vector<std::string>& names, std::size_t& numel) {
        for (const auto& [p, k] : ref[n].own) {
          names.push_back(prefix + p);
          numel += k;
        }
        for (const auto& [name, c] : ref[n].children) ref_params(c, prefix + name + ".", names, numel);
      };
  auto module_of = [](Handle& h) -> nn::Module& {
    return std::visit([](auto& m) -> nn::Module& { return m; }, h);
  };
  auto live_ids = [&](auto&& want) {
    std::vector<int> ids;
    for (std::size_t i = 0; i < handles.size(); ++i)
      if (handles[i] && want(*handles[i])) ids.push_back(static_cast<int>(i));
    return ids;
  };
  auto any = [](const Handle&) { return true; };
  auto is_parent = [](const Handle& h) {
    return std::holds_alternative<nn::Sequential>(h) || std::holds_alternative<FuzzNode>(h);
  };

  auto create = [&] {
    RefNode node;
    switch (pick(5)) {
      case 0:
        handles.emplace_back(nn::Sequential());
        node.seq = true;
        break;
      case 1: {
        // A Sequential built with children: a Linear (own node) and a Probe (own node).
        const int lin = static_cast<int>(ref.size()), probe = lin + 1;
        nn::Linear l(2, 3);
        Probe p;
        ref.push_back({{}, {{"weight", 6}, {"bias", 3}}});
        ref.push_back({});
        handles.emplace_back(l);
        handles.emplace_back(p);
        node.children = {{"0", lin}, {"1", probe}};
        node.seq = true;
        handles.emplace_back(nn::Sequential(l, p));
        break;
      }
      case 2: {
        const bool bias = pick(2) == 0;
        handles.emplace_back(nn::Linear(3, 2, bias));
        node.own = {{"weight", 6}};
        if (bias) node.own.push_back({"bias", 2});
        break;
      }
      case 3:
        handles.emplace_back(FuzzNode());
        node.own = {{"w", 2}};
        break;
      default:
        handles.emplace_back(Probe());
        break;
    }
    ref.push_back(std::move(node));
  };

  int refusals = 0, self_refusals = 0, accepted = 0, walks = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int op = 0; op < 3000; ++op) {
    const std::size_t kind = pick(100);
    const auto parents = live_ids(is_parent);
    const auto all = live_ids(any);
    if (all.size() < 3 || kind < 12) {
      create();
    } else if (kind < 55 && !parents.empty()) {
      // Register a child into a parent: often an ancestor of the parent, or the parent itself.
      const int p = parents[pick(parents.size())];
      int c = all[pick(all.size())];
      if (pick(3) == 0) {
        std::vector<int> ancestors;
        for (int a : ancestors_of(p))
          if (handles[a]) ancestors.push_back(a);
        c = ancestors[pick(ancestors.size())];  // p itself is among them
      }
      const bool cycle = reaches(c, p);
      const std::size_t before = module_of(*handles[p]).named_children().size();
      std::string name;
      bool threw = false;
      try {
        std::visit(
            [&](auto& parent) {
              using P = std::decay_t<decltype(parent)>;
              std::visit(
                  [&](auto& child) {
                    if constexpr (std::is_same_v<P, nn::Sequential>) {
                      name = std::to_string(parent.size());
                      parent.push_back(child);
                    } else if constexpr (std::is_same_v<P, FuzzNode>) {
                      name = "c" + std::to_string(ref[p].next_name);
                      parent.adopt(name, child);
                    }
                  },
                  *handles[c]);
            },
            *handles[p]);
      } catch (const ValueError& e) {
        threw = true;
        const std::string what = e.what();
        EXPECT_TRUE(what.find(c == p ? "cannot contain itself" : "cycle") != std::string::npos) << what;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "a refusal that is not a ValueError: " << e.what();
        threw = true;
      }
      ASSERT_EQ(threw, cycle) << "op " << op << ": register " << c << " into " << p;
      if (cycle) {
        ++refusals;
        self_refusals += c == p;
        ASSERT_EQ(module_of(*handles[p]).named_children().size(), before);  // nothing changed
      } else {
        ++accepted;
        ref[p].children.emplace_back(name, c);
        if (std::holds_alternative<FuzzNode>(*handles[p])) ++ref[p].next_name;
      }
    } else if (kind < 62) {
      // Rebind a registered Sequential child of a live Sequential to another live Sequential.
      const auto seqs = live_ids([](const Handle& h) { return std::holds_alternative<nn::Sequential>(h); });
      if (seqs.empty()) continue;
      const int p = seqs[pick(seqs.size())];
      std::vector<std::size_t> slots;
      for (std::size_t i = 0; i < ref[p].children.size(); ++i)
        if (ref[ref[p].children[i].second].seq) slots.push_back(i);
      if (slots.empty()) continue;
      const std::size_t slot = slots[pick(slots.size())];
      const int target = seqs[pick(seqs.size())];
      auto& seq = std::get<nn::Sequential>(*handles[p]);
      const bool cycle = reaches(target, p);
      bool threw = false;
      try {
        dynamic_cast<nn::Sequential&>(seq[slot]) = std::get<nn::Sequential>(*handles[target]);
      } catch (const ValueError&) {
        threw = true;
      }
      ASSERT_EQ(threw, cycle) << "op " << op << ": rebind slot " << slot << " of " << p << " to " << target;
      if (!cycle) ref[p].children[slot].second = target;
    } else if (kind < 85) {
      // Walks on a random live module, where the walk is small enough to compare.
      const int n = all[pick(all.size())];
      if (unfolded(n) > 4000) continue;
      ++walks;
      nn::Module& m = module_of(*handles[n]);
      std::vector<std::string> names;
      std::size_t numel = 0;
      ref_params(n, "", names, numel);
      const auto named = m.named_parameters();
      ASSERT_EQ(named.size(), names.size()) << "op " << op;
      for (std::size_t i = 0; i < names.size(); ++i) ASSERT_EQ(named[i].first, names[i]);
      const auto params = m.parameters();
      ASSERT_EQ(params.size(), names.size());
      for (std::size_t i = 0; i < params.size(); ++i) ASSERT_EQ(params[i].impl(), named[i].second.impl());
      ASSERT_EQ(m.num_parameters(), numel);
      const bool on = pick(2) == 0;
      if (on)
        m.train();
      else
        m.eval();
      ASSERT_EQ(m.is_training(), on);
      if (!m.named_children().empty()) {
        ASSERT_EQ(m.named_children().back().second->is_training(), on);
      }
      if (pick(4) == 0) {
        std::string expected;
        reference_tree(m, expected, 0);
        ASSERT_EQ(m.to_string(), expected);
      }
      m.zero_grad();
    } else {
      // Drop a handle (its module lives on inside whatever registered it).
      handles[all[pick(all.size())]].reset();
    }
  }
  EXPECT_GT(refusals, 50);
  EXPECT_GT(self_refusals, 5);
  EXPECT_GT(accepted, 200);
  EXPECT_GT(walks, 200);
  handles.clear();
  EXPECT_EQ(Probe::live, 0) << "modules left alive after every handle was dropped";
  EXPECT_EQ(FuzzNode::live, 0) << "modules left alive after every handle was dropped";
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 20.0);  // about 0.1 s in Release
}

// ================================================================================ schedules

optim::SchedulerState at_limit() {
  optim::SchedulerState s;
  s.last_epoch = kI64Max;
  s.base_lr = 0.1;
  s.last_lr = 0.1;
  return s;
}

template <class Sched, class... Args>
void expect_step_refused_at_the_limit(const char* name, Args... args) {
  SCOPED_TRACE(name);
  Tensor w = zeros({1}, kFloat64).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  Sched s(opt, args...);
  s.load_state(at_limit());  // any count >= 0 loads
  expect_error<ValueError>([&] { s.step(); }, {name, "last_epoch", "9223372036854775807"});
  EXPECT_EQ(s.last_epoch(), kI64Max);  // nothing changed
  EXPECT_EQ(opt.lr(), 0.1);
  // One step below the limit still works, and the next is refused.
  optim::SchedulerState below = at_limit();
  below.last_epoch = kI64Max - 1;
  s.load_state(below);
  s.step();
  EXPECT_EQ(s.last_epoch(), kI64Max);
  EXPECT_THROW(s.step(), ValueError);
}

TEST(ScheduleLimits, LRSchedulersRefuseToStepPastInt64Max) {
  expect_step_refused_at_the_limit<optim::StepLR>("StepLR", std::int64_t{3}, 0.5);
  expect_step_refused_at_the_limit<optim::ExponentialLR>("ExponentialLR", 0.9);
  expect_step_refused_at_the_limit<optim::CosineAnnealingLR>("CosineAnnealingLR", std::int64_t{5}, 0.01);
}

TEST(ScheduleLimits, ReduceLROnPlateauCountersAtInt64MaxRefuseToAdvance) {
  Tensor w = zeros({1}, kFloat64).requires_grad_();
  optim::SGD opt({w}, {.lr = 0.1});
  optim::ReduceLROnPlateau s(opt, {.patience = 2});
  s.load_state(at_limit());
  expect_error<ValueError>([&] { s.step(1.0); }, {"ReduceLROnPlateau", "last_epoch", "9223372036854775807"});
  EXPECT_EQ(s.last_epoch(), kI64Max);

  optim::SchedulerState bad = at_limit();
  bad.last_epoch = 10;
  bad.best = 0.5;
  bad.num_bad_epochs = kI64Max;
  s.load_state(bad);
  // A bad epoch (1.0 is not below 0.5) would count past the limit.
  expect_error<ValueError>([&] { s.step(1.0); },
                           {"ReduceLROnPlateau", "num_bad_epochs", "9223372036854775807"});
  EXPECT_EQ(s.num_bad_epochs(), kI64Max);
  EXPECT_EQ(s.last_epoch(), 10);
  EXPECT_EQ(opt.lr(), 0.1);
  // A better metric resets the count instead: no increment, no refusal.
  s.step(0.25);
  EXPECT_EQ(s.num_bad_epochs(), 0);
  EXPECT_EQ(s.best(), 0.25);

  // A huge cooldown counter only counts down.
  optim::SchedulerState cool = at_limit();
  cool.last_epoch = 0;
  cool.best = 0.5;
  cool.cooldown_counter = kI64Max;
  s.load_state(cool);
  s.step(1.0);
  EXPECT_EQ(s.state().cooldown_counter, kI64Max - 1);
  EXPECT_EQ(s.num_bad_epochs(), 0);
}

// ================================================================================ init
//
// torch.nn.init in PyTorch 1.13 (Debian python3-torch), /tmp script:
//   import torch, warnings; from torch.nn import init
//   for fn in ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]:
//       for shape in [(5,), (), (0,), (0, 3), (3, 0), (0, 0), (2, 0, 3)]:
//           try: getattr(init, fn)(torch.empty(*shape)); print(fn, shape, "ok")
//           except Exception as e: print(fn, shape, type(e).__name__, e)
//   init.kaiming_uniform_(torch.empty(3, 4), a=float('nan'))   # and the other bad arguments
// gives: every function on (5,) and () raises ValueError "Fan in and fan out can not be
// computed for tensor with fewer than 2 dimensions"; kaiming_* on every zero-element shape
// returns the tensor untouched with the warning "Initializing zero-element tensors is a
// no-op"; xavier_* on (0, 3), (3, 0), (2, 0, 3) return it untouched, on (0, 0) raise
// ZeroDivisionError and on (0,) the fewer-than-2-dims ValueError (xgrad: every zero-element
// tensor is a no-op for all four). Bad arguments: a = nan → RuntimeError "from is out of bounds
// for float" (uniform) / "normal expects std >= 0.0, but found std nan"; gain = -1 → "uniform_
// expects to return a [from, to) range, but found from=0.92582 > to=-0.92582"; normal_ std = -1
// → "normal expects std >= 0.0"; uniform_ bounds nan / inf → "from/to is out of bounds".

using InitFn = std::function<Tensor&(Tensor&)>;
struct NamedInit {
  const char* name;
  InitFn fn;
};
std::vector<NamedInit> fan_inits() {
  return {{"xavier_uniform_", [](Tensor& t) -> Tensor& { return nn::init::xavier_uniform_(t); }},
          {"xavier_normal_", [](Tensor& t) -> Tensor& { return nn::init::xavier_normal_(t); }},
          {"kaiming_uniform_", [](Tensor& t) -> Tensor& { return nn::init::kaiming_uniform_(t); }},
          {"kaiming_normal_", [](Tensor& t) -> Tensor& { return nn::init::kaiming_normal_(t); }}};
}

TEST(InitErrors, FanBasedInitsRefuseFewerThanTwoDimsNamingTheOpAndShape) {
  for (const auto& [name, fn] : fan_inits()) {
    SCOPED_TRACE(name);
    Tensor v = full({5}, 7.0);
    expect_error<ValueError>([&] { fn(v); }, {name, "fewer than 2 dimensions", "[5]"});
    for (double x : v.to_vector()) EXPECT_EQ(x, 7.0);  // not initialised
    Tensor s = full({}, 7.0);
    expect_error<ValueError>([&] { fn(s); }, {name, "fewer than 2 dimensions", "[]"});
    EXPECT_EQ(s.item(), 7.0);
  }
}

// torch 1.13: kaiming_* on any zero-element tensor warns and returns it; xavier_* on {0, 3},
// {3, 0}, {2, 0, 3} is a no-op, on {0} raises (fewer than 2 dims) and on {0, 0} divides by zero:
//   for s in [(0,3),(3,0),(0,0),(2,0,3),(0,)]:
//     for f in [init.xavier_uniform_, init.kaiming_uniform_]: f(torch.zeros(s))
TEST(InitErrors, EveryZeroElementTensorIsANoOpWherePyTorchsIs) {
  expect_error<ValueError>([] { Tensor t = zeros({0}); nn::init::xavier_uniform_(t); },
                           {"xavier_uniform_", "fewer than 2 dimensions", "[0]"});
  expect_error<ValueError>([] { Tensor t = zeros({0, 0}); nn::init::xavier_normal_(t); },
                           {"xavier_normal_", "fan_in + fan_out = 0", "[0, 0]"});
  for (const auto& [name, fn] : fan_inits()) {
    const bool xavier = std::string(name).starts_with("xavier");
    for (const Shape& shape : {Shape{0, 3}, Shape{3, 0}, Shape{0, 0}, Shape{2, 0, 3}, Shape{0}}) {
      if (xavier && (shape == Shape{0} || shape == Shape{0, 0})) continue;  // refused, above
      SCOPED_TRACE(std::string(name) + " " + shape_str(shape));
      manual_seed(3);
      Tensor t = zeros(shape);
      EXPECT_NO_THROW(fn(t));
      EXPECT_EQ(t.shape(), shape);
      // A no-op draws nothing from the generator.
      const double next = randn({1}).item();
      manual_seed(3);
      EXPECT_EQ(randn({1}).item(), next);
    }
  }
}

TEST(InitErrors, BadArgumentsAreValueErrorsNamingTheInitFunction) {
  using nn::init::FanMode;
  using nn::init::Nonlinearity;
  struct Case {
    const char* name;
    std::function<void(Tensor&)> call;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"kaiming_uniform_ a nan",
       [](Tensor& t) { nn::init::kaiming_uniform_(t, kNaN); },
       {"kaiming_uniform_", "a = nan"}},
      {"kaiming_uniform_ a inf",
       [](Tensor& t) { nn::init::kaiming_uniform_(t, kInf); },
       {"kaiming_uniform_", "a = inf"}},
      {"kaiming_normal_ a nan",
       [](Tensor& t) { nn::init::kaiming_normal_(t, kNaN); },
       {"kaiming_normal_", "a = nan"}},
      {"kaiming_normal_ a -inf",
       [](Tensor& t) { nn::init::kaiming_normal_(t, -kInf); },
       {"kaiming_normal_", "a = -inf"}},
      {"kaiming_uniform_ mode",
       [](Tensor& t) { nn::init::kaiming_uniform_(t, 0, static_cast<FanMode>(7)); },
       {"kaiming_uniform_", "fan mode 7"}},
      {"kaiming_normal_ nonlinearity",
       [](Tensor& t) { nn::init::kaiming_normal_(t, 0, FanMode::FanIn, static_cast<Nonlinearity>(9)); },
       {"kaiming_normal_", "nonlinearity 9"}},
      {"xavier_uniform_ gain nan",
       [](Tensor& t) { nn::init::xavier_uniform_(t, kNaN); },
       {"xavier_uniform_", "gain = nan"}},
      {"xavier_uniform_ gain -1",
       [](Tensor& t) { nn::init::xavier_uniform_(t, -1); },
       {"xavier_uniform_", "gain = -1"}},
      {"xavier_uniform_ gain inf",
       [](Tensor& t) { nn::init::xavier_uniform_(t, kInf); },
       {"xavier_uniform_", "gain = inf"}},
      {"xavier_uniform_ gain 1e308",
       [](Tensor& t) { nn::init::xavier_uniform_(t, 1e308); },
       {"xavier_uniform_", "not finite", "[3, 4]"}},
      {"xavier_normal_ gain nan",
       [](Tensor& t) { nn::init::xavier_normal_(t, kNaN); },
       {"xavier_normal_", "gain = nan"}},
      {"xavier_normal_ gain -0.5",
       [](Tensor& t) { nn::init::xavier_normal_(t, -0.5); },
       {"xavier_normal_", "gain = -0.5"}},
      {"uniform_ lo nan", [](Tensor& t) { nn::init::uniform_(t, kNaN, 1); }, {"init::uniform_", "lo = nan"}},
      {"uniform_ hi inf", [](Tensor& t) { nn::init::uniform_(t, 0, kInf); }, {"init::uniform_", "hi = inf"}},
      {"uniform_ lo > hi",
       [](Tensor& t) { nn::init::uniform_(t, 2, 1); },
       {"init::uniform_", "lo = 2", "hi = 1"}},
      {"uniform_ range",
       [](Tensor& t) { nn::init::uniform_(t, -1e308, 1e308); },
       {"init::uniform_", "not finite"}},
      {"normal_ std -1", [](Tensor& t) { nn::init::normal_(t, 0, -1); }, {"init::normal_", "std = -1"}},
      {"normal_ std nan", [](Tensor& t) { nn::init::normal_(t, 0, kNaN); }, {"init::normal_", "std = nan"}},
      {"normal_ std inf", [](Tensor& t) { nn::init::normal_(t, 0, kInf); }, {"init::normal_", "std = inf"}},
      {"normal_ mean nan", [](Tensor& t) { nn::init::normal_(t, kNaN, 1); }, {"init::normal_", "mean = nan"}},
      {"calculate_gain param nan",
       [](Tensor&) { (void)nn::init::calculate_gain(Nonlinearity::LeakyReLU, kNaN); },
       {"calculate_gain", "param = nan"}},
      {"calculate_gain nonlinearity",
       [](Tensor&) { (void)nn::init::calculate_gain(static_cast<Nonlinearity>(-1)); },
       {"calculate_gain", "nonlinearity -1"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor t = full({3, 4}, 7.0);
    expect_error<ValueError>([&] { c.call(t); }, c.parts);
    for (double x : t.to_vector()) ASSERT_EQ(x, 7.0);  // the tensor is untouched
  }
  // The argument is checked even on a zero-element tensor (a bad argument is the caller's bug).
  Tensor empty = zeros({0, 3});
  expect_error<ValueError>([&] { nn::init::kaiming_uniform_(empty, kNaN); }, {"kaiming_uniform_", "a = nan"});
  // Valid edge values still work: gain 0 fills zeros, a negative slope is allowed, NaN constant_.
  Tensor w = full({3, 4}, 7.0);
  nn::init::xavier_uniform_(w, 0.0);
  for (double x : w.to_vector()) EXPECT_EQ(x, 0.0);
  EXPECT_NO_THROW(nn::init::kaiming_normal_(w, -0.2));
  nn::init::constant_(w, kNaN);
  EXPECT_TRUE(std::isnan(w.to_vector()[0]));
  EXPECT_NO_THROW(nn::init::normal_(w, 1.0, 0.0));
}

}  // namespace
}  // namespace xg
