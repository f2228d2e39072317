#pragma once
// xg::optim training feedback: a progress bar for an epoch of batches, and classification accuracy.
//
//   xg::optim::ProgressBar bar(loader.size(), {.description = "epoch 1"});
//   for (auto [x, y] : loader) {
//     ...
//     bar.update(x.shape()[0], loss.item(), xg::optim::accuracy(logits, y));
//   }
//   bar.close();   // final line; also done by the destructor
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <limits>
#include <string>

#include "autodiff/tensor.hpp"

namespace xg::optim {

/// How a ProgressBar writes.
enum class ProgressMode {
  Auto,      ///< Terminal when the stream is std::cerr/std::clog and stderr is a tty (std::cout: stdout), else Lines
  Terminal,  ///< one line redrawn in place with '\r' (throttled by min_redraw_s), '\n' at close
  Lines,     ///< plain lines, for logs and pipes: one each time progress crosses a multiple of
             ///< line_every_percent, and (if line_every_s > 0) when that many seconds passed since the last
  Silent,    ///< nothing (statistics are still kept)
};

/// ProgressBar settings (an aggregate; designated initialisers in this order).
struct ProgressBarOptions {
  std::string description = "";   ///< prefix, e.g. "epoch 3"
  std::ostream* stream = nullptr;  ///< where to write; null = std::cerr
  ProgressMode mode = ProgressMode::Auto;
  double min_redraw_s = 0.1;       ///< Terminal: at most one redraw per this many seconds (the last step always)
  int line_every_percent = 10;     ///< Lines: a line per this many percent of the total (1..100)
  double line_every_s = 0;         ///< Lines: also a line after this many seconds; 0 = never time-based
  std::function<double()> clock = {};  ///< seconds from any origin; empty = std::chrono::steady_clock
  int bar_width = 24;              ///< Terminal: characters of the [=====>    ] bar (0 = no bar)
};

/// Progress of one pass over `total` steps (batches), with the running mean loss and accuracy
/// (weighted by the samples of each step), throughput and time left.
///
/// Line format (both modes; fields without data are left out):
///   `<description> <i>/<n> [<bar>] <pct>% loss <mean> acc <mean%> <rate> samples/s ETA <m:ss>`
/// e.g. `epoch 1 12/50 [=====>          ] 24% loss 0.4312 acc 87.5% 1530 samples/s ETA 0:03`
/// (the bar only in Terminal mode; Lines mode writes one '\n'-terminated line per report).
/// samples/s = samples so far / elapsed seconds; ETA = elapsed / i · (n − i). Tests make this
/// deterministic by passing `clock`.
class ProgressBar {
 public:
  /// `total`: number of update() calls expected (0 = unknown: no percentage, bar or ETA; Lines mode
  /// then reports only on time or at close). ValueError for line_every_percent outside 1..100 or
  /// negative intervals.
  explicit ProgressBar(std::size_t total, ProgressBarOptions options = {});
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// One step of `samples` samples with this step's mean loss and (optionally, NaN = none) accuracy
  /// in [0, 1]. Updates the running means and writes according to the mode.
  void update(std::size_t samples, double loss, double accuracy = std::numeric_limits<double>::quiet_NaN());
  /// Writes the final state once ("\n"-terminated) unless already shown; later calls do nothing.
  void close();

  std::size_t count() const { return count_; }      ///< update() calls so far
  std::size_t samples() const { return samples_; }  ///< samples so far
  double mean_loss() const;      ///< sample-weighted mean loss (NaN before the first update)
  double mean_accuracy() const;  ///< sample-weighted mean accuracy over steps that gave one (NaN if none)
  double elapsed_s() const;      ///< seconds since construction
  /// The status line as it would be drawn now (no '\r' or '\n').
  std::string line() const;
  /// The mode in use (Auto resolved).
  ProgressMode mode() const { return mode_; }

 private:
  double now() const;
  void emit(bool final_line);

  std::size_t total_;
  ProgressBarOptions options_;
  std::ostream* out_;
  ProgressMode mode_;
  double start_ = 0, last_draw_ = -1e300, last_line_time_ = 0;
  std::size_t count_ = 0, samples_ = 0, acc_samples_ = 0, last_bucket_ = 0, last_len_ = 0;
  double loss_sum_ = 0, acc_sum_ = 0;
  bool closed_ = false, final_shown_ = false;
};

/// Fraction of correct predictions, in [0, 1].
///
/// Rule, by the output's shape:
/// - `output` {N, C} with C >= 2 (logits or probabilities): the prediction is argmax over dim 1
///   (first maximum on ties), compared with `labels` {N} (or {N, 1}) of class indices 0..C−1.
/// - `output` {N} or {N, 1} (binary): the prediction is 1 where output > threshold, else 0,
///   compared with 0/1 `labels` of the same N. threshold = 0.5 suits probabilities (a sigmoid
///   output); for raw logits pass threshold = 0 (sigmoid(z) > 0.5 ⇔ z > 0).
/// Errors: ShapeError for other shapes or a different N; ValueError for N = 0, a class label that
/// is not an integer in range, or a binary label other than 0/1. Not recorded for autograd.
double accuracy(const Tensor& output, const Tensor& labels, double threshold = 0.5);
/// The number of correct predictions under the same rule (to sum over batches).
std::size_t count_correct(const Tensor& output, const Tensor& labels, double threshold = 0.5);

}  // namespace xg::optim
