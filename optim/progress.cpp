// ProgressBar and accuracy.
#include "optim/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "autodiff/errors.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"

namespace xg::optim {
namespace {

std::string clock_str(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto s = static_cast<long long>(std::llround(seconds));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressBar::ProgressBar(std::size_t total, ProgressBarOptions options)
    : total_(total), options_(std::move(options)), out_(options_.stream ? options_.stream : &std::cerr),
      mode_(options_.mode) {
  if (options_.line_every_percent < 1 || options_.line_every_percent > 100)
    throw ValueError(
        fmt::format("ProgressBar: line_every_percent must be in 1..100, got {}", options_.line_every_percent));
  if (!(options_.min_redraw_s >= 0) || !(options_.line_every_s >= 0))
    throw ValueError(fmt::format("ProgressBar: min_redraw_s and line_every_s must be >= 0, got {} and {}",
                                 options_.min_redraw_s, options_.line_every_s));
  if (mode_ == ProgressMode::Auto) {
    int fd = -1;
    if (out_ == &std::cerr || out_ == &std::clog) fd = STDERR_FILENO;
    if (out_ == &std::cout) fd = STDOUT_FILENO;
    mode_ = fd >= 0 && ::isatty(fd) ? ProgressMode::Terminal : ProgressMode::Lines;
  }
  start_ = now();
  last_line_time_ = start_;
}

ProgressBar::~ProgressBar() {
  try {
    close();
  } catch (...) {  // a destructor never throws (e.g. a stream with exceptions enabled)
  }
}

double ProgressBar::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double ProgressBar::elapsed_s() const { return now() - start_; }

double ProgressBar::mean_loss() const {
  return samples_ ? loss_sum_ / static_cast<double>(samples_) : std::numeric_limits<double>::quiet_NaN();
}

double ProgressBar::mean_accuracy() const {
  return acc_samples_ ? acc_sum_ / static_cast<double>(acc_samples_) : std::numeric_limits<double>::quiet_NaN();
}

std::string ProgressBar::line() const {
  std::string s = options_.description;
  auto sep = [&s] {
    if (!s.empty()) s += ' ';
  };
  sep();
  if (total_ > 0) {
    s += fmt::format("{}/{}", count_, total_);
    const double frac = std::min(1.0, static_cast<double>(count_) / static_cast<double>(total_));
    if (mode_ == ProgressMode::Terminal && options_.bar_width > 0) {
      const auto w = static_cast<std::size_t>(options_.bar_width);
      const auto filled = static_cast<std::size_t>(frac * static_cast<double>(w));
      std::string bar(w, ' ');
      for (std::size_t k = 0; k < filled; ++k) bar[k] = '=';
      if (filled < w && count_ > 0) bar[filled] = '>';
      s += " [" + bar + "]";
    }
    s += fmt::format(" {:3}%", std::min(count_, total_) * 100 / total_);  // integer: no 28.999...
  } else {
    s += fmt::format("{}", count_);
  }
  if (samples_) s += fmt::format(" loss {:.4f}", mean_loss());
  if (acc_samples_) s += fmt::format(" acc {:.1f}%", 100.0 * mean_accuracy());
  const double t = elapsed_s();
  if (samples_ && t > 0) {
    const double rate = static_cast<double>(samples_) / t;
    s += rate >= 100 ? fmt::format(" {:.0f} samples/s", rate) : fmt::format(" {:.1f} samples/s", rate);
  }
  if (total_ > 0 && count_ > 0 && count_ < total_ && t > 0)
    s += " ETA " + clock_str(t / static_cast<double>(count_) * static_cast<double>(total_ - count_));
  else if (count_ > 0 && (total_ == 0 || count_ >= total_))
    s += " in " + clock_str(t);
  return s;
}

void ProgressBar::emit(bool final_line) {
  const std::string s = line();
  if (mode_ == ProgressMode::Terminal) {
    std::string pad = last_len_ > s.size() ? std::string(last_len_ - s.size(), ' ') : std::string();
    *out_ << '\r' << s << pad;
    if (final_line) *out_ << '\n';
    last_len_ = s.size();
  } else if (mode_ == ProgressMode::Lines) {
    *out_ << s << '\n';
  }
  out_->flush();
  if (final_line) final_shown_ = true;
}

void ProgressBar::update(std::size_t samples, double loss, double accuracy) {
  if (closed_) throw ValueError("ProgressBar::update: the bar is closed");
  ++count_;
  samples_ += samples;
  loss_sum_ += loss * static_cast<double>(samples);
  if (!std::isnan(accuracy)) {
    acc_sum_ += accuracy * static_cast<double>(samples);
    acc_samples_ += samples;
  }
  if (mode_ == ProgressMode::Silent) return;
  const double t = now();
  const bool last = total_ > 0 && count_ == total_;
  if (mode_ == ProgressMode::Terminal) {
    if (last || t - last_draw_ >= options_.min_redraw_s) {
      last_draw_ = t;
      emit(last);
    }
    return;
  }
  // Lines
  bool report = last;
  if (total_ > 0) {
    const std::size_t bucket = count_ * 100 / total_ / static_cast<std::size_t>(options_.line_every_percent);
    if (bucket > last_bucket_) {
      last_bucket_ = bucket;
      report = true;
    }
  }
  if (options_.line_every_s > 0 && t - last_line_time_ >= options_.line_every_s) report = true;
  if (report) {
    last_line_time_ = t;
    emit(last);
  }
}

void ProgressBar::close() {
  if (closed_) return;
  closed_ = true;
  if (mode_ == ProgressMode::Silent || final_shown_) return;
  emit(true);
}

// ------------------------------------------------------------------------------ accuracy

std::size_t count_correct(const Tensor& output, const Tensor& labels, double threshold) {
  if (!output.defined() || !labels.defined()) throw ValueError("accuracy: undefined tensor");
  const Shape& os = output.shape();
  const Shape& ls = labels.shape();
  const bool labels_ok = ls.size() == 1 || (ls.size() == 2 && ls[1] == 1);
  const bool multiclass = os.size() == 2 && os[1] >= 2;
  const bool binary = os.size() == 1 || (os.size() == 2 && os[1] == 1);
  if (!(multiclass || binary) || !labels_ok || ls[0] != os[0])
    throw ShapeError(fmt::format(
        "accuracy: expects output {{N, C}} with labels {{N}} of class indices, or output {{N}}/{{N, 1}} with 0/1 "
        "labels {{N}}/{{N, 1}}; got output {} and labels {}",
        shape_str(os), shape_str(ls)));
  const std::size_t n = os[0];
  if (n == 0) throw ValueError("accuracy: no samples (N = 0)");
  NoGradGuard no_grad;
  const std::vector<double> y = labels.to_vector();
  std::size_t correct = 0;
  if (multiclass) {
    const std::size_t c = os[1];
    const std::vector<double> pred = argmax(output, 1).to_vector();
    for (std::size_t i = 0; i < n; ++i) {
      if (!(y[i] >= 0 && y[i] < static_cast<double>(c) && y[i] == std::floor(y[i])))
        throw ValueError(fmt::format("accuracy: label {} at index {} is not a class index in 0..{}", y[i], i, c - 1));
      correct += pred[i] == y[i];
    }
  } else {
    const std::vector<double> v = output.to_vector();
    for (std::size_t i = 0; i < n; ++i) {
      if (y[i] != 0.0 && y[i] != 1.0)
        throw ValueError(fmt::format("accuracy: binary label {} at index {} is not 0 or 1", y[i], i));
      correct += (v[i] > threshold ? 1.0 : 0.0) == y[i];
    }
  }
  return correct;
}

double accuracy(const Tensor& output, const Tensor& labels, double threshold) {
  return static_cast<double>(count_correct(output, labels, threshold)) /
         static_cast<double>(output.shape().empty() ? 1 : output.shape()[0]);
}

}  // namespace xg::optim
