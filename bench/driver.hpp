#pragma once
// The benchmark driver shared by bench_xgrad and bench_torch: command line, timing loop and
// output lines. Each binary provides only a Runner per workload (make_runner).
//
//   bench_ENGINE                     time every workload, one line each
//   bench_ENGINE -w mlp-mnist -w tiny  only these
//   bench_ENGINE --quick             fewer steps and repetitions
//   bench_ENGINE --smoke             a few steps each; exit 1 unless every loss falls
//   bench_ENGINE --memcheck 10000    run 10,000 steps, report resident memory at 10% and 100%
//   bench_ENGINE --list              the workload names
//
// Timed output, one line per workload (scripts/bench.sh parses it):
//   workload=mlp-mnist engine=xgrad us_per_step=612.3 min_us_per_step=608.1 wall_us_per_step=615.0 gflops=12.01 loss_first=2.30 loss_last=1.10 steps=1402 peak_rss_mib=9.8 blas=SkylakeX
// us_per_step is process CPU time per step (see cpu_s), the median of the timed repetitions
// (min_us_per_step the fastest one, wall_us_per_step the median in wall-clock time);
// op-chain lines also carry ns_per_op (us_per_step is the whole chain).
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "workloads.hpp"

// OpenBLAS's name for the kernel set it chose (weak: null where the BLAS is not OpenBLAS). Both
// engines load the same libopenblas, so both lines name the same kernel.
extern "C" char* openblas_get_corename(void) __attribute__((weak));

namespace bench {

inline const char* blas_core() { return openblas_get_corename ? openblas_get_corename() : "unknown"; }

/// One workload set up in one engine.
class Runner {
 public:
  virtual ~Runner() = default;
  /// One training step on input batch `batch`; returns the loss when `want_loss` (else anything).
  /// For op-chain: one chain plus backward; returns the input's gradient.
  virtual double step(int batch, bool want_loss) = 0;
  /// Engine-specific figures for --memcheck lines ("live_nodes=0"), or "".
  virtual std::string stats() const { return ""; }
};

using MakeRunner = std::unique_ptr<Runner> (*)(const Workload&, const Data&);

inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// CPU time consumed by this process (all its threads), seconds. The benchmark's main clock:
/// on a machine shared with other work it does not count the time the process waits for a
/// core, so it stays meaningful where wall time does not; on an idle machine the two agree
/// for single-threaded runs.
inline double cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Peak resident set size of this process so far, MiB.
inline double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
}

/// Current resident set size, MiB (from /proc/self/statm).
inline double current_rss_mib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Options {
  std::vector<std::string> names;  // empty: all workloads
  bool quick = false;
  bool smoke = false;
  long memcheck = 0;
};

// Timed run: one untimed loss step, one untimed warm-up repetition, `reps` timed repetitions of
// w.steps steps (the median per-step time is reported), one final loss step. The step count is
// fixed, so both engines end at the same point and their final losses can be compared.
inline void time_workload(const Workload& w, Runner& r, const char* engine, bool quick) {
  const int steps = quick ? std::max(1, w.steps / 4) : w.steps;
  const int reps = quick ? 3 : 7;
  long s = 0;
  auto next_batch = [&] { return static_cast<int>(s++ % w.batches); };
  const double loss_first = r.step(next_batch(), true);
  for (int i = 0; i < steps; ++i) r.step(next_batch(), false);
  std::vector<double> us, wall_us;
  for (int rep = 0; rep < reps; ++rep) {
    const double c0 = cpu_s(), t0 = now_s();
    for (int i = 0; i < steps; ++i) r.step(next_batch(), false);
    us.push_back((cpu_s() - c0) * 1e6 / steps);
    wall_us.push_back((now_s() - t0) * 1e6 / steps);
  }
  const double loss_last = r.step(next_batch(), true);
  const double us_step = median(us);
  std::printf("workload=%s engine=%s us_per_step=%.3f min_us_per_step=%.3f wall_us_per_step=%.3f", w.name, engine,
              us_step, *std::min_element(us.begin(), us.end()), median(wall_us));
  if (w.kind == Kind::OpChain)
    std::printf(" ns_per_op=%.1f gflops=0", us_step * 1e3 / w.chain_ops);
  else
    std::printf(" gflops=%.3f", step_flops(w) / (us_step * 1e3));
  std::printf(" loss_first=%.6g loss_last=%.6g steps=%ld peak_rss_mib=%.1f blas=%s\n", loss_first, loss_last, s,
              peak_rss_mib(), blas_core());
  std::fflush(stdout);
}

// Smoke run: a few passes over the batches; the mean loss of the last pass must be finite and
// below that of the first (op-chain: the gradient must be finite). No timing is checked.
inline bool smoke_workload(const Workload& w, Runner& r, const char* engine) {
  const int passes = w.kind == Kind::OpChain ? 1 : (w.batches == 1 ? 40 : 6);
  std::vector<double> pass_loss(passes, 0.0);
  for (int p = 0; p < passes; ++p)
    for (int b = 0; b < w.batches; ++b) pass_loss[p] += r.step(b, true) / w.batches;
  const double first = pass_loss.front(), last = pass_loss.back();
  const bool ok = std::isfinite(first) && std::isfinite(last) && (w.kind == Kind::OpChain || last < first);
  std::printf("smoke workload=%s engine=%s loss_first=%.6g loss_last=%.6g %s\n", w.name, engine, first, last,
              ok ? "ok" : "FAILED");
  std::fflush(stdout);
  return ok;
}

// Memory run: `steps` steps; resident memory after 10% of them and at the end.
inline void memcheck_workload(const Workload& w, Runner& r, const char* engine, long steps) {
  const long tenth = std::max(1L, steps / 10);
  double rss_tenth = 0;
  for (long s = 0; s < steps; ++s) {
    r.step(static_cast<int>(s % w.batches), false);
    if (s + 1 == tenth) rss_tenth = current_rss_mib();
  }
  const double rss_end = current_rss_mib();
  std::printf("memcheck workload=%s engine=%s steps=%ld rss_mib_10pct=%.1f rss_mib_end=%.1f growth_mib=%.1f "
              "peak_rss_mib=%.1f %s\n",
              w.name, engine, steps, rss_tenth, rss_end, rss_end - rss_tenth, peak_rss_mib(), r.stats().c_str());
  std::fflush(stdout);
}

inline int usage(const char* argv0) {
  std::fprintf(stderr, "usage: %s [-w WORKLOAD]... [--quick | --smoke | --memcheck STEPS | --list]\n", argv0);
  return 2;
}

inline int run_main(int argc, char** argv, const char* engine, MakeRunner make_runner) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "-w" || a == "--workload") && i + 1 < argc) {
      o.names.push_back(argv[++i]);
    } else if (a == "--quick") {
      o.quick = true;
    } else if (a == "--smoke") {
      o.smoke = true;
    } else if (a == "--memcheck" && i + 1 < argc) {
      o.memcheck = std::atol(argv[++i]);
    } else if (a == "--list") {
      for (const auto& w : workloads()) std::printf("%s\n", w.name);
      return 0;
    } else {
      return usage(argv[0]);
    }
  }
  std::vector<const Workload*> selected;
  if (o.names.empty())
    for (const auto& w : workloads()) selected.push_back(&w);
  for (const auto& n : o.names) {
    const Workload* w = find_workload(n);
    if (!w) {
      std::fprintf(stderr, "%s: unknown workload '%s' (--list shows them)\n", argv[0], n.c_str());
      return 2;
    }
    selected.push_back(w);
  }
  bool ok = true;
  for (const Workload* w : selected) {
    const Data data = make_data(*w);
    std::unique_ptr<Runner> r = make_runner(*w, data);
    if (o.smoke)
      ok = smoke_workload(*w, *r, engine) && ok;
    else if (o.memcheck > 0)
      memcheck_workload(*w, *r, engine, o.memcheck);
    else
      time_workload(*w, *r, engine, o.quick);
  }
  return ok ? 0 : 1;
}

}  // namespace bench
