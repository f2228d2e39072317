// normalization — why inputs are standardised. The Breast Cancer Wisconsin features (30
// measurements of cell nuclei) lie on wildly different scales: "worst area" is in the hundreds
// to thousands, "fractal dimension error" in the thousandths. The same network, optimizer,
// learning rate, initial weights and batches are trained three times: on the raw features, on
// standardised features, and on raw features with a BatchNorm1d layer in front.
//
// Why scale matters to gradient descent: a first-layer unit computes z = Σⱼ wⱼ·xⱼ + b, so
//
//   ∂L/∂wⱼ = δ·xⱼ          and         ∂²L/∂wⱼ² ∝ xⱼ²        (δ = ∂L/∂z)
//
// The gradient and the curvature along wⱼ grow with the scale of feature j. Gradient descent with
// rate η is stable only while η < 2/λ_max (λ_max the largest curvature), and it progresses along a
// direction of curvature λ by a factor (1 − ηλ) per step. With feature scales σⱼ from ~0.003 to
// ~560 the curvatures differ by (560/0.0025)² ≈ 5·10¹⁰: a rate small enough for "worst area" moves
// the weights of the small features by nothing, and a rate that moves them makes "worst area"
// explode (or, through a ReLU, kills the units). No single η fits.
//
// Standardisation, zⱼ = (xⱼ − μⱼ)/σⱼ with the mean μⱼ and standard deviation σⱼ of the TRAINING
// split (statistics of the test split would leak it into training), puts every feature at mean
// 0, variance 1: all curvatures become comparable and one η suits every weight. BatchNorm1d as
// the first layer does the same inside the model, with each batch's statistics while training
// (and running averages of them for evaluation), plus a learnt per-feature scale and shift.
//
// Setup: 30-16-2 ReLU network, cross-entropy, SGD with momentum 0.9 at lr 0.01, batches of 32 in
// the same seeded order, 20 % of the 569 samples held out for the test accuracy. What it shows:
// on raw features the first few steps are huge (gradients ∝ "worst area" ≈ 900), push every
// hidden unit's pre-activation negative for all inputs, and the network dies: 0 of 16 ReLUs
// alive, the output a constant, the loss stuck at the entropy of the class shares (≈ 0.66) and
// the accuracy at the majority class's. Standardised inputs and BatchNorm1d both train to
// ~96 % test accuracy with the very same settings.
//
// Outputs: normalization.csv/.gp/.png (training loss and test error per epoch, log scales, for
// the three variants) and normalization.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

namespace {

namespace nn = xg::nn;
namespace F = xg::nn::functional;
using xg::Tensor;

constexpr std::uint64_t kInitSeed = 0;
constexpr std::uint64_t kBatchOrderSeed = 1;
constexpr std::size_t kBatchSize = 32;
constexpr double kLearningRate = 0.01;
constexpr double kMomentum = 0.9;

// The column order of data/breast_cancer.csv (scikit-learn's feature_names).
constexpr std::array<const char*, 30> kFeatureNames = {
    "mean radius",          "mean texture",          "mean perimeter",          "mean area",
    "mean smoothness",      "mean compactness",      "mean concavity",          "mean concave points",
    "mean symmetry",        "mean fractal dimension", "radius error",           "texture error",
    "perimeter error",      "area error",            "smoothness error",        "compactness error",
    "concavity error",      "concave points error",  "symmetry error",          "fractal dimension error",
    "worst radius",         "worst texture",         "worst perimeter",         "worst area",
    "worst smoothness",     "worst compactness",     "worst concavity",         "worst concave points",
    "worst symmetry",       "worst fractal dimension"};

struct Variant {
  std::string key;    // summary prefix
  std::string label;  // table and figure
  bool standardise;   // inputs through the Standardizer fitted on the training split
  bool batch_norm;    // a BatchNorm1d(30) in front of the network
};

struct Curves {
  std::vector<double> train_loss;     // whole training split, eval mode; [0] before any step
  std::vector<double> test_accuracy;  // [0] before any step
  std::size_t live_hidden_units = 0;  // ReLU units positive for at least one training sample, at the end
};

nn::Sequential make_model(bool batch_norm) {
  // BatchNorm1d starts at weight 1, bias 0 and draws no random numbers, so the Linear layers
  // get the same initial weights in every variant.
  nn::Sequential model;
  if (batch_norm) model.push_back(nn::BatchNorm1d(30));
  model.push_back(nn::Linear(30, 16));
  model.push_back(nn::ReLU());
  model.push_back(nn::Linear(16, 2));
  return model;
}

// Hidden ReLU units that are positive for at least one training sample. A unit that is zero for
// every input passes no gradient back (relu'(z) = 0 for z ≤ 0): it is dead and stays dead.
std::size_t count_live_hidden_units(nn::Sequential& model, const Tensor& inputs, bool batch_norm) {
  model.eval();
  xg::NoGradGuard no_grad;
  Tensor hidden = inputs;
  const std::size_t relu_index = batch_norm ? 2 : 1;
  for (std::size_t i = 0; i <= relu_index; ++i) hidden = model[i](hidden);
  const auto per_unit_max = xg::max(hidden, 0).to_xarray<double>();
  model.train();
  return static_cast<std::size_t>(std::count_if(per_unit_max.begin(), per_unit_max.end(), [](double v) { return v > 0; }));
}

void evaluate(nn::Sequential& model, const nn::TensorDataset& train, const nn::TensorDataset& test, Curves& curves) {
  model.eval();
  xg::NoGradGuard no_grad;
  curves.train_loss.push_back(F::cross_entropy(model(train.inputs()), train.targets()).item());
  curves.test_accuracy.push_back(xg::optim::accuracy(model(test.inputs()), test.targets()));
  model.train();
}

Curves train_variant(const Variant& variant, const nn::TensorDataset& train, const nn::TensorDataset& test,
                     int epochs) {
  xg::manual_seed(kInitSeed);
  nn::Sequential model = make_model(variant.batch_norm);
  xg::optim::Momentum optimizer(model.parameters(), {.lr = kLearningRate, .momentum = kMomentum});
  nn::DataLoader loader(train, {.batch_size = kBatchSize, .shuffle = true, .seed = kBatchOrderSeed});
  Curves curves;
  evaluate(model, train, test, curves);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (auto [x, y] : loader) {
      optimizer.zero_grad();
      F::cross_entropy(model(x), y).backward();
      optimizer.step();
    }
    evaluate(model, train, test, curves);
  }
  curves.live_hidden_units = count_live_hidden_units(model, train.inputs(), variant.batch_norm);
  return curves;
}

// Per-feature mean and standard deviation of the training split, smallest and largest scales.
void print_feature_scales(const nn::Standardizer& stats) {
  const auto mean = stats.mean().to_xarray<double>();
  const auto scale = stats.scale().to_xarray<double>();
  std::vector<std::size_t> order(scale.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scale(a) < scale(b); });
  std::printf("per-feature scale of the raw inputs (training split), smallest and largest:\n");
  std::printf("  %-26s %12s %12s\n", "feature", "mean", "std");
  auto row = [&](std::size_t j) { std::printf("  %-26s %12.4g %12.4g\n", kFeatureNames[j], mean(j), scale(j)); };
  for (std::size_t i = 0; i < 3; ++i) row(order[i]);
  std::printf("  %-26s %12s %12s\n", "...", "", "");
  for (std::size_t i = order.size() - 3; i < order.size(); ++i) row(order[i]);
  const double smallest = scale(order.front()), largest = scale(order.back());
  std::printf("  standard deviations span %.3g .. %.3g: a factor %.2g (curvatures: %.2g)\n\n", smallest, largest,
              largest / smallest, (largest / smallest) * (largest / smallest));
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("normalization", argc, argv);
  const int epochs = run.quick() ? 20 : 60;

  nn::TensorDataset data = nn::load_csv(xg::examples::data_file("breast_cancer.csv").string(), {.has_header = true});
  auto [train_raw, test_raw] = nn::train_test_split(data, 0.2, /*seed=*/42);

  // Statistics of the training split only; the same transform is applied to the test split.
  nn::Standardizer standardizer;
  standardizer.fit(train_raw.inputs());
  const nn::TensorDataset train_std(standardizer.transform(train_raw.inputs()), train_raw.targets());
  const nn::TensorDataset test_std(standardizer.transform(test_raw.inputs()), test_raw.targets());

  std::printf("Breast Cancer Wisconsin: %zu training and %zu test samples, %zu features\n", train_raw.size(),
              test_raw.size(), standardizer.n_features());
  print_feature_scales(standardizer);
  const double scale_ratio = [&] {
    const auto s = standardizer.scale().to_xarray<double>();
    return *std::max_element(s.begin(), s.end()) / *std::min_element(s.begin(), s.end());
  }();

  const std::vector<Variant> variants = {
      {"raw", "raw features", false, false},
      {"standardized", "standardised", true, false},
      {"batchnorm", "BatchNorm1d first", false, true},
  };
  std::printf("30-16-2 ReLU network, SGD momentum %.1f at lr %.2g, batches of %zu, %d epochs, same initial weights\n\n",
              kMomentum, kLearningRate, kBatchSize, epochs);
  std::vector<Curves> results;
  for (const auto& v : variants) {
    results.push_back(v.standardise ? train_variant(v, train_std, test_std, epochs)
                                    : train_variant(v, train_raw, test_raw, epochs));
  }

  std::printf("%-20s %12s %12s %12s %10s %12s\n", "inputs", "first loss", "min loss", "final loss", "test acc",
              "live units");
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const Curves& c = results[i];
    const double min_loss = *std::min_element(c.train_loss.begin(), c.train_loss.end());
    std::printf("%-20s %12.4g %12.4g %12.4g %9.1f%% %9zu/16\n", variants[i].label.c_str(), c.train_loss.front(),
                min_loss, c.train_loss.back(), 100.0 * c.test_accuracy.back(), c.live_hidden_units);
    run.summary(variants[i].key + "_initial_loss", c.train_loss.front());
    run.summary(variants[i].key + "_final_loss", c.train_loss.back());
    run.summary(variants[i].key + "_test_accuracy", c.test_accuracy.back());
    run.summary(variants[i].key + "_live_hidden_units", static_cast<double>(c.live_hidden_units));
  }
  std::printf("(loss on the whole training split after each epoch, in evaluation mode: before training,\n"
              " BatchNorm's running statistics are 0 and 1, so it passes the raw features through and its\n"
              " first loss is the raw one; live units: hidden ReLUs still positive for some training sample)\n");
  // The share of the majority class in the test split: what a model that ignores its input scores.
  const double majority = [&] {
    const auto y = test_raw.targets().to_xarray<double>();
    const double ones = std::accumulate(y.begin(), y.end(), 0.0);
    return std::max(ones, static_cast<double>(y.size()) - ones) / static_cast<double>(y.size());
  }();
  std::printf("(always answering the majority class scores %.1f%% on the test split)\n", 100.0 * majority);

  run.summary("epochs", epochs);
  run.summary("feature_std_ratio", scale_ratio);
  run.summary("majority_class_accuracy", majority);

  std::vector<double> epoch_axis;
  for (int e = 0; e <= epochs; ++e) epoch_axis.push_back(e);
  xg::examples::Figure fig("epoch", epoch_axis);
  auto& loss_panel = fig.panel("Training loss: same model, optimizer, lr", "cross-entropy (training split)").logscale_y();
  auto& error_panel = fig.panel("Test error", "fraction wrong (test split)").logscale_y();
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const std::string loss_name = variants[i].label + " (loss)";
    const std::string error_name = variants[i].label + " (test error)";
    std::vector<double> test_error;
    for (double a : results[i].test_accuracy) test_error.push_back(1.0 - a);
    fig.column(loss_name, results[i].train_loss);
    fig.column(error_name, test_error);
    loss_panel.plot(loss_name);
    error_panel.plot(error_name);
  }
  run.report(fig.save(run.out_path("normalization")));
  return 0;
}
