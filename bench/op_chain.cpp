// op-chain: a 1-element tensor through 1,000 elementwise ops (×0.999, +0.001, tanh, repeating),
// then backward. Prints ns per op (forward + backward) as the median of several rounds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <autodiff/autodiff.hpp>

int main(int argc, char** argv) {
  const int ops = 1000, rounds = argc > 1 ? std::atoi(argv[1]) : 200;
  std::vector<double> ns;
  auto x = xg::tensor({0.5}).requires_grad_();
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    xg::Tensor y = x;
    for (int i = 0; i < ops; ++i) {
      switch (i % 3) {
        case 0: y = y * 0.999; break;
        case 1: y = y + 0.001; break;
        default: y = xg::tanh(y);
      }
    }
    y.backward();
    y = xg::Tensor();
    const auto t1 = std::chrono::steady_clock::now();
    x.zero_grad();
    ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / ops);
  }
  std::sort(ns.begin(), ns.end());
  std::printf("workload=op-chain engine=xgrad ns_per_op=%.1f\n", ns[ns.size() / 2]);
}
