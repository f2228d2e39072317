#pragma once
// The benchmark workloads — one table shared by bench_xgrad and bench_torch.
//
// Both binaries read the shapes, hyper-parameters, inputs and initial weights from here, so the
// two engines run exactly the same computation: same data, same starting point, same update
// rule. Data and weights come from a fixed-seed generator of this header (not from either
// engine's RNG), and the loss after a fixed number of steps agrees between the engines to
// float32 rounding — scripts/bench.sh prints both.
//
// One step = zero_grad, forward, loss, backward, optimizer step, on float32 tensors.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace bench {

enum class Act { None, Tanh, Sigmoid, Relu };
enum class Loss { Mse, CrossEntropy };
enum class Kind { Mlp, OpChain };

struct Workload {
  const char* name;
  Kind kind;
  std::vector<std::size_t> sizes;  // layer widths, input first (Mlp)
  Act hidden;                      // after every layer but the last
  Act output;                      // after the last layer
  std::size_t batch;
  Loss loss;
  double lr;
  double momentum;        // 0: plain SGD
  int batches;            // distinct pre-generated input batches, used in turn
  int steps;              // steps per timed repetition
  int chain_ops = 0;      // OpChain: elementwise ops per step
};

/// A deep stack of equal layers: `depth` × Linear(width, width).
inline std::vector<std::size_t> stack(std::size_t width, int depth) {
  return std::vector<std::size_t>(static_cast<std::size_t>(depth) + 1, width);
}

// clang-format off
inline const std::vector<Workload>& workloads() {
  static const std::vector<Workload> table{
    // name          kind           sizes                 hidden        output        batch loss               lr    mom  batches steps
    {"tiny",        Kind::Mlp,     {2, 8, 1},            Act::Tanh,    Act::Sigmoid,  4,  Loss::Mse,          0.5,  0.0, 1,  4000},
    {"mlp-digits",  Kind::Mlp,     {64, 128, 64, 10},    Act::Relu,    Act::None,    32,  Loss::CrossEntropy, 0.05, 0.9, 8,  1000},
    {"mlp-mnist",   Kind::Mlp,     {784, 256, 128, 10},  Act::Relu,    Act::None,    64,  Loss::CrossEntropy, 0.05, 0.9, 8,   200},
    {"mlp-wide",    Kind::Mlp,     {1024, 1024, 1024, 10}, Act::Relu,  Act::None,   256,  Loss::CrossEntropy, 0.02, 0.9, 4,     8},
    {"deep-narrow", Kind::Mlp,     stack(32, 20),        Act::Sigmoid, Act::Sigmoid, 16,  Loss::Mse,          1.0,  0.0, 4,   400},
    // a 1-element tensor through chain_ops ops (×0.999, +0.001, tanh, repeating), then backward
    {"op-chain",    Kind::OpChain, {},                   Act::None,    Act::None,     1,  Loss::Mse,          0.0,  0.0, 1,    40, 1000},
  };
  return table;
}
// clang-format on

inline const Workload* find_workload(std::string_view name) {
  for (const auto& w : workloads())
    if (name == w.name) return &w;
  return nullptr;
}

/// GEMM floating-point operations of one step: per layer 2·B·in·out for the forward product,
/// the same for the weight gradient, and again for the input gradient except in the first layer
/// (its input needs no gradient). Bias, activations, loss and update are not counted.
inline double step_flops(const Workload& w) {
  double f = 0;
  for (std::size_t l = 0; l + 1 < w.sizes.size(); ++l)
    f += (l == 0 ? 4.0 : 6.0) * static_cast<double>(w.batch * w.sizes[l] * w.sizes[l + 1]);
  return f;
}

/// splitmix64: a tiny, portable generator, so the data do not depend on either engine.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {  // Box-Muller
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t s_;
};

/// Inputs, targets and initial parameters of one workload, row-major float32.
struct Data {
  std::vector<std::vector<float>> x;        // per batch: batch × sizes.front()
  std::vector<std::vector<float>> y;        // per batch: class indices (batch) or targets (batch × sizes.back())
  std::vector<std::vector<float>> weight;   // per layer: out × in  (PyTorch's Linear layout)
  std::vector<std::vector<float>> bias;     // per layer: out
};

/// The fixed data of a workload. Weights and biases are U(±1/√in), as PyTorch initialises a
/// Linear. Classification labels come from a fixed random linear "teacher" (learnable, so the
/// loss falls); regression targets are U(0, 0.3) (the untrained net's outputs sit near 0.5);
/// tiny is XOR.
inline Data make_data(const Workload& w) {
  Data d;
  if (w.kind != Kind::Mlp) return d;
  std::uint64_t seed = 0xcbf29ce484222325ULL;  // FNV-1a of the name: one stream per workload
  for (const char* c = w.name; *c; ++c) seed = (seed ^ static_cast<unsigned char>(*c)) * 0x100000001b3ULL;
  Rng rng(seed);
  const std::size_t in = w.sizes.front(), out = w.sizes.back();
  for (std::size_t l = 0; l + 1 < w.sizes.size(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(w.sizes[l]));
    std::vector<float> wl(w.sizes[l + 1] * w.sizes[l]), bl(w.sizes[l + 1]);
    for (auto& v : wl) v = static_cast<float>(rng.uniform(-bound, bound));
    for (auto& v : bl) v = static_cast<float>(rng.uniform(-bound, bound));
    d.weight.push_back(std::move(wl));
    d.bias.push_back(std::move(bl));
  }
  if (std::string_view(w.name) == "tiny") {  // XOR
    d.x.push_back({0, 0, 0, 1, 1, 0, 1, 1});
    d.y.push_back({0, 1, 1, 0});
    return d;
  }
  std::vector<double> teacher(in * out);
  for (auto& v : teacher) v = rng.normal();
  for (int b = 0; b < w.batches; ++b) {
    std::vector<float> xb(w.batch * in), yb;
    for (auto& v : xb) v = static_cast<float>(rng.normal());
    if (w.loss == Loss::CrossEntropy) {
      for (std::size_t i = 0; i < w.batch; ++i) {
        std::size_t best = 0;
        double best_score = -1e300;
        for (std::size_t c = 0; c < out; ++c) {
          double s = 0;
          for (std::size_t k = 0; k < in; ++k) s += xb[i * in + k] * teacher[k * out + c];
          if (s > best_score) best_score = s, best = c;
        }
        yb.push_back(static_cast<float>(best));
      }
    } else {
      yb.resize(w.batch * out);
      for (auto& v : yb) v = static_cast<float>(rng.uniform(0.0, 0.3));
    }
    d.x.push_back(std::move(xb));
    d.y.push_back(std::move(yb));
  }
  return d;
}

}  // namespace bench
