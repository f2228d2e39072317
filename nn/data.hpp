#pragma once
// xg::nn data utilities: TensorDataset, DataLoader, train_test_split, Standardizer — the
// torch.utils.data / sklearn.preprocessing pieces of a training loop.
//
//   auto data = xg::nn::load_csv("data/breast_cancer.csv", {.has_header = true});
//   auto [train, test] = xg::nn::train_test_split(data, 0.2, /*seed=*/42);
//   xg::nn::DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = 0});
//   for (auto [x, y] : loader) { ... }          // one epoch; the next loop is the next epoch
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "autodiff/tensor.hpp"

namespace xg::nn {

/// One sample or one mini-batch: inputs `x` and targets `y`. An aggregate, so
/// `auto [x, y] = batch;` and `for (auto [x, y] : loader)` work.
struct Batch {
  Tensor x;
  Tensor y;
};

/// A data set held as two tensors whose first dimension indexes the samples, as
/// torch.utils.data.TensorDataset. Copies are cheap and share the tensors.
class TensorDataset {
 public:
  /// Contract: both tensors defined, at least 1-D, with the same first-dimension extent N;
  /// otherwise ShapeError (naming both shapes). ValueError for an undefined tensor.
  TensorDataset(Tensor inputs, Tensor targets);

  /// Number of samples N.
  std::size_t size() const { return size_; }
  /// Sample i: inputs[i] and targets[i] with the first dimension removed (a {N} target gives a
  /// 0-D y). ValueError when i >= size().
  Batch get(std::size_t i) const;
  /// The samples at `indices`, in that order, stacked along a new first dimension
  /// (index_select on dim 0): x {k, ...}, y {k, ...}. ValueError for an index >= size().
  Batch batch(const std::vector<std::size_t>& indices) const;
  /// A new data set of the samples at `indices` (copies the rows).
  TensorDataset subset(const std::vector<std::size_t>& indices) const;

  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;
  std::size_t size_ = 0;
};

/// DataLoader settings (an aggregate; designated initialisers in this order).
struct DataLoaderOptions {
  std::size_t batch_size = 1;  ///< samples per batch, >= 1 (ValueError otherwise)
  bool shuffle = false;        ///< a fresh seeded permutation every epoch
  bool drop_last = false;      ///< drop the final, smaller batch
  std::uint64_t seed = 0;      ///< shuffling seed (the loader's own generator)
};

/// Iterates over a TensorDataset in mini-batches, as torch.utils.data.DataLoader.
///
/// Each range-for over the loader (each call of begin()) is one epoch: epoch 0, 1, 2, ...
/// Without shuffle the samples come in order 0..N-1. With shuffle, the order of epoch e is a
/// permutation drawn from a private generator seeded by (seed, e): the same seed and epoch give
/// the same order on every run and machine; the next epoch and another seed give another order;
/// xg's global generator (manual_seed) is neither used nor disturbed.
/// Every sample appears exactly once per epoch (drop_last: all but the last N mod batch_size of
/// that epoch's order). Batches are copies (index_select) of the rows: x {B, ...}, y {B, ...}.
class DataLoader {
 public:
  /// Contract: options.batch_size >= 1, else ValueError.
  explicit DataLoader(TensorDataset dataset, DataLoaderOptions options = {});

  /// Number of batches per epoch: ceil(N / batch_size), or floor with drop_last. Exact for every
  /// batch_size up to SIZE_MAX (one batch of all N samples when batch_size >= N, as PyTorch).
  std::size_t size() const;
  const TensorDataset& dataset() const { return dataset_; }
  const DataLoaderOptions& options() const { return options_; }

  /// The epoch the next begin() will run (starts at 0).
  std::uint64_t epoch() const { return next_epoch_; }
  /// Makes the next begin() run epoch `e` (to resume, or to replay an epoch).
  void set_epoch(std::uint64_t e) { next_epoch_ = e; }
  /// The sample order of epoch `e` (all N indices, before drop_last). Pure: does not advance.
  std::vector<std::size_t> order(std::uint64_t e) const;

  /// Forward iterator over one epoch's batches; dereferencing builds the batch.
  class Iterator {
   public:
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    Iterator() = default;
    Batch operator*() const;
    Iterator& operator++() {
      ++batch_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++batch_;
      return old;
    }
    bool operator==(const Iterator& other) const { return batch_ == other.batch_; }

   private:
    friend class DataLoader;
    const DataLoader* loader_ = nullptr;
    std::shared_ptr<const std::vector<std::size_t>> order_;
    std::size_t batch_ = 0;
  };

  /// Starts the next epoch (advances epoch()). The loader must outlive its iterators.
  Iterator begin();
  Iterator end() const;

 private:
  TensorDataset dataset_;
  DataLoaderOptions options_;
  std::uint64_t next_epoch_ = 0;
};

/// Splits a data set at random into (train, test), as sklearn's train_test_split with
/// shuffle: n_test = ceil(test_fraction · N), n_train = N − n_test; the permutation comes from a
/// private generator seeded by `seed` (same seed, same split; the global generator is untouched).
/// Contract: 0 < test_fraction < 1 and both parts non-empty, else ValueError.
std::pair<TensorDataset, TensorDataset> train_test_split(const TensorDataset& dataset, double test_fraction,
                                                         std::uint64_t seed = 0);
/// The same for inputs x and targets y (same first-dimension extent, else ShapeError).
std::pair<TensorDataset, TensorDataset> train_test_split(const Tensor& x, const Tensor& y, double test_fraction,
                                                         std::uint64_t seed = 0);

/// Per-feature standardisation z = (x − mean) / scale, as sklearn's StandardScaler:
/// mean and population standard deviation (divisor N) of each column of the {N, F} training data,
/// computed in float64. A constant feature (std 0, or below 10·ε·max(1, |mean|) from rounding)
/// gets scale 1: it is centred, not divided — never NaN. Fit on the training split only, then
/// transform every split with the same statistics.
class Standardizer {
 public:
  Standardizer() = default;

  /// Learns mean and scale from x {N, F} (N >= 1). ShapeError for a tensor that is not 2-D,
  /// ValueError for N = 0 or a non-finite value. Returns *this.
  Standardizer& fit(const Tensor& x);
  /// (x − mean) / scale for x {M, F} or a single sample {F}; the result has x's dtype and is
  /// not recorded for autograd. ValueError before fit; ShapeError when x's last extent ≠ F.
  Tensor transform(const Tensor& x) const;
  /// fit(x) then transform(x).
  Tensor fit_transform(const Tensor& x);
  /// x · scale + mean (the inverse of transform); same errors as transform.
  Tensor inverse_transform(const Tensor& x) const;

  bool is_fitted() const { return mean_.defined(); }
  /// Number of features F seen by fit (0 before fit).
  std::size_t n_features() const { return is_fitted() ? mean_.numel() : 0; }
  /// Per-feature mean, {F} float64 (undefined before fit).
  const Tensor& mean() const { return mean_; }
  /// Per-feature scale (std, or 1 for a constant feature), {F} float64 (undefined before fit).
  const Tensor& scale() const { return scale_; }

 private:
  void check(const Tensor& x, const char* op) const;
  Tensor mean_, scale_;
};

}  // namespace xg::nn
