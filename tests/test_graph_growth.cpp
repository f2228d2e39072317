// Bounded memory: graphs are freed after backward, the live node counter returns to its
// baseline, and the graph-growth warning fires for a loss accumulated across steps — once.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace xg {
namespace {

// Captures warnings for the test's duration.
struct CapturedWarnings {
  std::vector<std::string> messages;
  CapturedWarnings() {
    set_warning_handler([this](const std::string& m) { messages.push_back(m); });
  }
  ~CapturedWarnings() { set_warning_handler({}); }
};

struct TinyTraining {
  nn::Sequential model{nn::Linear(4, 8), nn::Tanh(), nn::Linear(8, 1)};
  optim::SGD opt{model.parameters(), {.lr = 0.01}};
  Tensor x = randn({16, 4}), y = randn({16, 1});
  Tensor step() {
    opt.zero_grad();
    Tensor loss = nn::functional::mse_loss(model(x), y);
    loss.backward();
    opt.step();
    return loss;
  }
};

TEST(GraphGrowth, AccumulatingTheLossTensorWarnsOnce) {
  manual_seed(0);
  CapturedWarnings warnings;
  TinyTraining training;
  const std::size_t before = graph_growth_warnings();
  Tensor total = zeros({});
  // Keeps every step's graph (about 10 nodes) alive: 1,000 nodes after about 100 steps, the
  // warning; the next would come only when the count has doubled, after about 200.
  for (int i = 0; i < 150; ++i) total = total + training.step();
  ASSERT_EQ(warnings.messages.size(), 1u);
  EXPECT_EQ(graph_growth_warnings(), before + 1);
  EXPECT_NE(warnings.messages[0].find("total = total + loss"), std::string::npos) << warnings.messages[0];
  EXPECT_NE(warnings.messages[0].find("live nodes"), std::string::npos);
}

TEST(GraphGrowth, ItemAndDetachKeepTheGraphCountFlat) {
  manual_seed(0);
  CapturedWarnings warnings;
  TinyTraining training;
  const std::size_t baseline = live_node_count();
  double total = 0;
  Tensor carried = zeros({});
  for (int i = 0; i < 200; ++i) {
    {
      Tensor loss = training.step();
      total += loss.item();
      carried = (carried + loss).detach();
      EXPECT_GT(live_node_count(), baseline);  // the loss still holds its (freed-buffer) graph
    }
    EXPECT_EQ(live_node_count(), baseline) << "step " << i;
  }
  EXPECT_TRUE(warnings.messages.empty());
  EXPECT_GT(total, 0);
}

TEST(GraphGrowth, GraphIsFreedAfterBackwardAndWithTheLastReference) {
  const std::size_t baseline = live_node_count();
  {
    auto w = randn({3, 3}).requires_grad_();
    Tensor y = tanh(w.matmul(w)).sum();
    EXPECT_GT(live_node_count(), baseline);
    y.backward();
  }
  EXPECT_EQ(live_node_count(), baseline);
}

TEST(GraphGrowth, OptionsCanDisableOrTuneIt) {
  manual_seed(0);
  CapturedWarnings warnings;
  const GraphGrowthOptions saved = graph_growth_options();
  set_graph_growth_options({.enabled = false});
  TinyTraining training;
  Tensor total = zeros({});
  for (int i = 0; i < 300; ++i) total = total + training.step();
  EXPECT_TRUE(warnings.messages.empty());
  EXPECT_THROW(set_graph_growth_options({.window = 1}), ValueError);
  set_graph_growth_options(saved);
}

}  // namespace
}  // namespace xg
