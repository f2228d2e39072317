// xgrad_fuzz_graphs — runs the random-graph gradient fuzzer from the command line.
//
//   xgrad_fuzz_graphs [--seed S] [--count N] [--first K] [--graph K] [--verbose] [--wrong]
//   xgrad_fuzz_graphs --aliasing [--seed S] [--count N] [--first K]
//
// Checks graphs K .. K+N−1 of seed S (default: seed 1, graphs 0..999) and prints a summary;
// --graph K checks that one graph and prints it; --verbose prints every graph; --wrong injects
// an op with a deliberately wrong derivative (to see a failure report). Exit status 1 when a
// graph fails, after printing its program and the command that replays it. --aliasing runs the
// aliasing fuzzer instead (alias_fuzzer.hpp: ops reading the .grad they accumulate into).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "alias_fuzzer.hpp"
#include "graph_fuzzer.hpp"

int main(int argc, char** argv) {
  std::uint64_t seed = 1;
  std::size_t first = 0, count = 1000;
  bool verbose = false, aliasing = false;
  xg::fuzz::FuzzOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::uint64_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a number\n", a.c_str());
        std::exit(2);
      }
      return std::strtoull(argv[++i], nullptr, 10);
    };
    if (a == "--seed") seed = value();
    else if (a == "--count") count = value();
    else if (a == "--first") first = value();
    else if (a == "--graph") { first = value(); count = 1; verbose = true; }
    else if (a == "--verbose") verbose = true;
    else if (a == "--wrong") options.inject_wrong_op = true;
    else if (a == "--aliasing") aliasing = true;
    else {
      std::fprintf(stderr, "usage: %s [--aliasing] [--seed S] [--count N] [--first K] [--graph K] [--verbose] [--wrong]\n",
                   argv[0]);
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::size_t failures = 0, second = 0, ops = 0;
  if (aliasing) {
    for (std::size_t k = first; k < first + count; ++k) {
      const auto result = xg::fuzz::check_aliasing(seed, k);
      ops += static_cast<std::size_t>(result.forms);
      if (!result.ok) {
        ++failures;
        std::printf("%s", result.report.c_str());
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("seed %llu, aliasing cases %zu..%zu: %zu cases (%zu aliased ops) in %.1f s, %zu failed\n",
                static_cast<unsigned long long>(seed), first, first + count - 1, count, ops, s, failures);
    return failures ? 1 : 0;
  }
  for (std::size_t k = first; k < first + count; ++k) {
    const auto program = xg::fuzz::generate(seed, k, options);
    const bool second_order = options.second_order_every && k % options.second_order_every == 0;
    const auto result = xg::fuzz::check(program, second_order);
    ops += program.steps();
    second += result.second_order;
    if (verbose) std::printf("%s%s\n", program.to_string(true).c_str(), result.ok ? "ok" : "FAILED");
    if (!result.ok) {
      ++failures;
      std::printf("%s\n", result.report.c_str());
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seed %llu, graphs %zu..%zu: %zu graphs (%zu ops, %zu also second order) in %.1f s, %zu failed\n",
              static_cast<unsigned long long>(seed), first, first + count - 1, count, ops, second, s, failures);
  return failures ? 1 : 0;
}
