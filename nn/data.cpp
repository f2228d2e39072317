// TensorDataset, DataLoader, train_test_split, Standardizer.
#include "nn/data.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/errors.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"

namespace xg::nn {
namespace {

// NOTE [ Private shuffling generator ]
// Shuffles use their own SplitMix64 stream and an unbiased bounded draw (Lemire's method), not
// std::uniform_int_distribution (whose algorithm differs between standard libraries) and not xg's
// global generator (so a DataLoader never changes what randn gives after it). The stream for
// (seed, epoch) is seeded by mixing both, so epochs and seeds give unrelated permutations.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform on [0, bound), bound >= 1.
  std::uint64_t below(std::uint64_t bound) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = -bound % bound;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
};

std::vector<std::size_t> permutation(std::size_t n, std::uint64_t seed, std::uint64_t stream) {
  SplitMix64 mix{seed};
  SplitMix64 gen{mix.next() ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL)};
  std::vector<std::size_t> p(n);
  std::iota(p.begin(), p.end(), std::size_t{0});
  for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[gen.below(i)]);  // Fisher–Yates
  return p;
}

void require_defined(const Tensor& t, const char* op, const char* what) {
  if (!t.defined()) throw ValueError(fmt::format("{}: {} is an undefined tensor", op, what));
}

}  // namespace

// ------------------------------------------------------------------------------ TensorDataset

TensorDataset::TensorDataset(Tensor inputs, Tensor targets) : inputs_(std::move(inputs)), targets_(std::move(targets)) {
  require_defined(inputs_, "TensorDataset", "inputs");
  require_defined(targets_, "TensorDataset", "targets");
  if (inputs_.dim() == 0 || targets_.dim() == 0 || inputs_.shape()[0] != targets_.shape()[0])
    throw ShapeError(fmt::format(
        "TensorDataset: inputs and targets need the same first-dimension size (one row per sample); "
        "got inputs {} and targets {}",
        shape_str(inputs_.shape()), shape_str(targets_.shape())));
  size_ = inputs_.shape()[0];
}

namespace {
void check_index(std::size_t i, std::size_t n, const char* op) {
  if (i >= n) throw ValueError(fmt::format("{}: sample index {} is out of range for a data set of {} samples", op, i, n));
}
Tensor row(const Tensor& t, std::size_t i) {
  Shape rest(t.shape().begin() + 1, t.shape().end());
  return t.index_select(0, {i}).reshape(rest);
}
}  // namespace

Batch TensorDataset::get(std::size_t i) const {
  check_index(i, size_, "TensorDataset::get");
  return {row(inputs_, i), row(targets_, i)};
}

Batch TensorDataset::batch(const std::vector<std::size_t>& indices) const {
  for (auto i : indices) check_index(i, size_, "TensorDataset::batch");
  return {inputs_.index_select(0, indices), targets_.index_select(0, indices)};
}

TensorDataset TensorDataset::subset(const std::vector<std::size_t>& indices) const {
  auto b = batch(indices);
  return TensorDataset(b.x, b.y);
}

// ------------------------------------------------------------------------------ DataLoader

DataLoader::DataLoader(TensorDataset dataset, DataLoaderOptions options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batch_size == 0) throw ValueError("DataLoader: batch_size must be at least 1, got 0");
}

// NOTE [ Batch arithmetic without wrap-around ]
// batch_size may be anything up to SIZE_MAX (PyTorch: a batch_size above N gives one batch of all
// N samples). The textbook ceil((n + b - 1) / b) wraps for b near SIZE_MAX and gave 0 batches;
// n == 0 ? 0 : (n - 1) / b + 1 cannot. A batch's start i·b is below n for every i < size(), so it
// cannot wrap either, and its end is start + min(b, n - start), never start + b.
std::size_t DataLoader::size() const {
  const std::size_t n = dataset_.size(), b = options_.batch_size;
  if (options_.drop_last) return n / b;
  return n == 0 ? 0 : (n - 1) / b + 1;
}

std::vector<std::size_t> DataLoader::order(std::uint64_t e) const {
  if (options_.shuffle) return permutation(dataset_.size(), options_.seed, e);
  std::vector<std::size_t> p(dataset_.size());
  std::iota(p.begin(), p.end(), std::size_t{0});
  return p;
}

DataLoader::Iterator DataLoader::begin() {
  Iterator it;
  it.loader_ = this;
  it.order_ = std::make_shared<const std::vector<std::size_t>>(order(next_epoch_++));
  it.batch_ = 0;
  return it;
}

DataLoader::Iterator DataLoader::end() const {
  Iterator it;
  it.loader_ = this;
  it.batch_ = size();
  return it;
}

Batch DataLoader::Iterator::operator*() const {
  if (!loader_ || !order_ || batch_ >= loader_->size())
    throw ValueError("DataLoader: dereferencing an iterator that is past the end of the epoch");
  const std::size_t b = loader_->options_.batch_size, n = order_->size();
  const std::size_t start = batch_ * b;  // batch_ < size(): start < n, no wrap (see the NOTE above)
  const std::size_t stop = start + std::min(b, n - start);
  std::vector<std::size_t> idx(order_->begin() + static_cast<std::ptrdiff_t>(start),
                               order_->begin() + static_cast<std::ptrdiff_t>(stop));
  return loader_->dataset_.batch(idx);
}

// ------------------------------------------------------------------------------ train_test_split

std::pair<TensorDataset, TensorDataset> train_test_split(const TensorDataset& dataset, double test_fraction,
                                                         std::uint64_t seed) {
  const std::size_t n = dataset.size();
  if (!(test_fraction > 0.0 && test_fraction < 1.0))
    throw ValueError(fmt::format("train_test_split: test_fraction must lie strictly between 0 and 1, got {}",
                                 test_fraction));
  const auto n_test = static_cast<std::size_t>(std::ceil(test_fraction * static_cast<double>(n)));
  if (n_test == 0 || n_test >= n)
    throw ValueError(fmt::format(
        "train_test_split: test_fraction {} of {} samples leaves {} for testing and {} for training; both "
        "must be non-empty",
        test_fraction, n, n_test, n >= n_test ? n - n_test : 0));
  const auto p = permutation(n, seed, /*stream=*/0x7E57ULL);
  std::vector<std::size_t> test(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n_test));
  std::vector<std::size_t> train(p.begin() + static_cast<std::ptrdiff_t>(n_test), p.end());
  return {dataset.subset(train), dataset.subset(test)};
}

std::pair<TensorDataset, TensorDataset> train_test_split(const Tensor& x, const Tensor& y, double test_fraction,
                                                         std::uint64_t seed) {
  return train_test_split(TensorDataset(x, y), test_fraction, seed);
}

// ------------------------------------------------------------------------------ Standardizer

Standardizer& Standardizer::fit(const Tensor& x) {
  require_defined(x, "Standardizer::fit", "x");
  if (x.dim() != 2)
    throw ShapeError(fmt::format("Standardizer::fit: expects {{N, F}} training data (2-D), got shape {}",
                                 shape_str(x.shape())));
  const std::size_t n = x.shape()[0], f = x.shape()[1];
  if (n == 0) throw ValueError(fmt::format("Standardizer::fit: no samples (shape {})", shape_str(x.shape())));
  const std::vector<double> v = x.to_vector();
  std::vector<double> mean(f, 0.0), scale(f, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) {
      const double a = v[i * f + j];
      if (!std::isfinite(a))
        throw ValueError(fmt::format("Standardizer::fit: non-finite value {} at row {}, feature {}", a, i, j));
      mean[j] += a;
    }
  for (auto& m : mean) m /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < f; ++j) {
      const double d = v[i * f + j] - mean[j];
      scale[j] += d * d;
    }
  for (std::size_t j = 0; j < f; ++j) {
    const double sd = std::sqrt(scale[j] / static_cast<double>(n));  // population std (ddof 0)
    // NOTE: a constant column's two-pass variance can come out as rounding noise, not 0
    scale[j] = sd <= 10.0 * DBL_EPSILON * std::max(1.0, std::abs(mean[j])) ? 1.0 : sd;
  }
  mean_ = from_vector(mean, {f}, kFloat64);
  scale_ = from_vector(scale, {f}, kFloat64);
  return *this;
}

void Standardizer::check(const Tensor& x, const char* op) const {
  if (!is_fitted()) throw ValueError(fmt::format("{}: the Standardizer is not fitted; call fit(x_train) first", op));
  require_defined(x, op, "x");
  if (x.dim() == 0 || x.dim() > 2 || x.shape().back() != n_features())
    throw ShapeError(fmt::format("{}: expects {{M, {}}} or {{{}}} (the {} features seen by fit), got shape {}", op,
                                 n_features(), n_features(), n_features(), shape_str(x.shape())));
}

Tensor Standardizer::transform(const Tensor& x) const {
  check(x, "Standardizer::transform");
  NoGradGuard no_grad;
  return (x - mean_.to(x.dtype())) / scale_.to(x.dtype());
}

Tensor Standardizer::fit_transform(const Tensor& x) {
  fit(x);
  return transform(x);
}

Tensor Standardizer::inverse_transform(const Tensor& x) const {
  check(x, "Standardizer::inverse_transform");
  NoGradGuard no_grad;
  return x * scale_.to(x.dtype()) + mean_.to(x.dtype());
}

}  // namespace xg::nn
