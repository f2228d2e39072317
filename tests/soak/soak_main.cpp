// xgrad_soak — trains a small MLP for many steps and reports resident memory and live graph
// nodes as it goes, to show that memory stays flat (scripts/soak.sh; a short run is a ctest).
//
//   xgrad_soak [--steps N] [--every K] [--max-growth-kb KB] [--csv FILE]
//
// Every K steps prints "step=… rss_kb=… live_nodes=… loss=…". After the first 10% of the steps
// (warm-up: caches fill, the allocator settles) the resident set may grow by at most
// --max-growth-kb (default 2048) and the live node count must be back to its baseline after
// every step; otherwise the exit status is 1.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

namespace {

// Resident set size in KiB, from /proc/self/statm (pages × page size).
long resident_kb() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * (sysconf(_SC_PAGESIZE) / 1024);
}

}  // namespace

int main(int argc, char** argv) {
  long steps = 100000, every = 5000, max_growth_kb = 2048;
  std::string csv_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "usage: %s [--steps N] [--every K] [--max-growth-kb KB] [--csv FILE]\n", argv[0]);
      return 2;
    }
    if (a == "--steps") steps = std::atol(argv[++i]);
    else if (a == "--every") every = std::atol(argv[++i]);
    else if (a == "--max-growth-kb") max_growth_kb = std::atol(argv[++i]);
    else if (a == "--csv") csv_path = argv[++i];
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  if (steps < 10 || every < 1) {
    std::fprintf(stderr, "--steps must be >= 10 and --every >= 1\n");
    return 2;
  }
  std::ofstream csv;
  if (!csv_path.empty()) {
    csv.open(csv_path);
    csv << "step,rss_kb,live_nodes,loss\n";
  }

  xg::manual_seed(0);
  xg::nn::Sequential model(xg::nn::Linear(32, 64), xg::nn::ReLU(), xg::nn::Linear(64, 64), xg::nn::Tanh(),
                           xg::nn::Linear(64, 10));
  xg::optim::Adam opt(model.parameters(), {.lr = 1e-3});
  std::vector<std::size_t> label_values(64);
  for (std::size_t i = 0; i < label_values.size(); ++i) label_values[i] = i % 10;
  std::vector<double> as_double(label_values.begin(), label_values.end());
  const auto labels = xg::from_vector(as_double, {64});

  const std::size_t baseline_nodes = xg::live_node_count();
  const long warmup = steps / 10;
  long rss_after_warmup = 0, worst_growth = 0;
  bool nodes_ok = true;
  double running_loss = 0;
  for (long step = 1; step <= steps; ++step) {
    const auto x = xg::randn({64, 32});  // a fresh batch: the allocator's caches churn as in training
    opt.zero_grad();
    auto loss = xg::nn::functional::cross_entropy(model(x), labels);
    loss.backward();
    opt.step();
    running_loss = loss.item();
    loss = xg::Tensor();
    if (xg::live_node_count() != baseline_nodes) nodes_ok = false;
    if (step == warmup) rss_after_warmup = resident_kb();
    if (step % every == 0 || step == steps) {
      const long rss = resident_kb();
      if (step > warmup) worst_growth = std::max(worst_growth, rss - rss_after_warmup);
      std::printf("step=%ld rss_kb=%ld live_nodes=%zu loss=%.6f\n", step, rss, xg::live_node_count(), running_loss);
      std::fflush(stdout);
      if (csv) csv << step << "," << rss << "," << xg::live_node_count() << "," << running_loss << "\n";
    }
  }
  std::printf("steps=%ld rss_growth_after_warmup_kb=%ld (limit %ld) live_nodes_flat=%s\n", steps, worst_growth,
              max_growth_kb, nodes_ok ? "yes" : "no");
  return worst_growth <= max_growth_kb && nodes_ok ? 0 : 1;
}
