// optimizers — the same network, trained from the same initial weights on the same batches, by
// four optimizers: plain SGD, SGD with momentum, Nesterov momentum, and Adam. Only the update
// rule differs, so the loss curves show what each rule buys.
//
// With g the mini-batch gradient of the loss L(θ) and η the learning rate:
//
//   SGD        θ ← θ − η·g
//   momentum   v ← μ·v + g,          θ ← θ − η·v                    (μ = 0.9)
//   Nesterov   v ← μ·v + g,          θ ← θ − η·(g + μ·v)           (PyTorch's form)
//   Adam       m ← β₁m + (1−β₁)g,    s ← β₂s + (1−β₂)g²,
//              θ ← θ − η · m̂ / (√ŝ + ε)     (m̂ = m/(1−β₁ᵗ), ŝ = s/(1−β₂ᵗ): bias correction)
//
// Momentum is a running sum of past gradients. Where successive gradients agree (a long gentle
// slope, the common case in a ravine's floor) v grows to g/(1 − μ) = 10·g: the step is ten
// times plain SGD's at the same η. Where they alternate in sign (across the ravine's steep
// walls) they cancel in v, damping the zig-zag that forces plain SGD to keep η small. Nesterov
// applies the velocity before evaluating the correction, which reacts a step earlier when the
// slope turns. Adam divides each coordinate's step by a running RMS of its own gradient, so every
// weight moves by about η per step whatever the scale of its gradient: the same η suits every
// layer, and large-scale features or layers do not need a small global rate.
//
// The lesson measured here: at the same learning rate η = 0.01, momentum reaches after N steps a
// training loss that plain SGD needs many times N steps to reach (its curve stays close to that
// of plain SGD at the ten times larger rate η/(1 − μ) = 0.1, but smoother), Nesterov tracks
// momentum closely, and Adam at its default rate 1e-3 matches them with no tuning at all.
//
// Data: the bundled 8x8 digits (UCI, 1797 images, pixel counts 0..16 divided by 16), a 64-64-10
// ReLU network, cross-entropy, mini-batches of 32 in a seeded order that is the same for every
// optimizer; 25 % of the images are held out for the test accuracy.
//
// Outputs: optimizers.csv/.gp/.png (training loss and test error per epoch, log scales, one curve
// per optimizer) and optimizers.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace nn = xg::nn;
namespace F = xg::nn::functional;
using xg::Tensor;

constexpr std::uint64_t kInitSeed = 0;      // the same initial weights for every optimizer
constexpr std::uint64_t kBatchOrderSeed = 1;  // the same batches, in the same order
constexpr std::size_t kBatchSize = 32;
constexpr double kSgdLearningRate = 0.01;  // plain SGD, momentum and Nesterov all use it
constexpr double kAdamLearningRate = 1e-3;
constexpr double kTargetLoss = 0.1;  // "epochs to reach": the first epoch whose training loss is below

struct OptimizerChoice {
  std::string key;       // summary prefix: sgd, momentum, nesterov, adam
  std::string label;     // table and figure
  std::string settings;  // its hyper-parameters, for the table
  std::function<std::unique_ptr<xg::optim::Optimizer>(std::vector<Tensor>)> make;
};

std::vector<OptimizerChoice> optimizer_choices() {
  using namespace xg::optim;
  return {
      {"sgd", "SGD", "lr 0.01",
       [](std::vector<Tensor> p) { return std::make_unique<SGD>(std::move(p), SGDOptions{.lr = kSgdLearningRate}); }},
      {"momentum", "Momentum", "lr 0.01, mu 0.9",
       [](std::vector<Tensor> p) {
         return std::make_unique<Momentum>(std::move(p), MomentumOptions{.lr = kSgdLearningRate, .momentum = 0.9});
       }},
      {"nesterov", "Nesterov", "lr 0.01, mu 0.9",
       [](std::vector<Tensor> p) {
         return std::make_unique<Momentum>(std::move(p),
                                           MomentumOptions{.lr = kSgdLearningRate, .momentum = 0.9, .nesterov = true});
       }},
      {"adam", "Adam", "lr 0.001",
       [](std::vector<Tensor> p) { return std::make_unique<Adam>(std::move(p), AdamOptions{.lr = kAdamLearningRate}); }},
  };
}

nn::Sequential make_model() { return nn::Sequential(nn::Linear(64, 64), nn::ReLU(), nn::Linear(64, 10)); }

struct Curves {
  std::vector<double> train_loss;     // on the whole training split; [0] before any step
  std::vector<double> test_accuracy;  // [0] before any step
  std::size_t steps = 0;
};

// Loss on the whole training split and accuracy on the test split, without recording a graph.
void evaluate(nn::Sequential& model, const nn::TensorDataset& train, const nn::TensorDataset& test, Curves& curves) {
  xg::NoGradGuard no_grad;
  curves.train_loss.push_back(F::cross_entropy(model(train.inputs()), train.targets()).item());
  curves.test_accuracy.push_back(xg::optim::accuracy(model(test.inputs()), test.targets()));
}

Curves train_with(const OptimizerChoice& choice, const nn::TensorDataset& train, const nn::TensorDataset& test,
                  int epochs) {
  xg::manual_seed(kInitSeed);
  nn::Sequential model = make_model();
  auto optimizer = choice.make(model.parameters());
  nn::DataLoader loader(train, {.batch_size = kBatchSize, .shuffle = true, .seed = kBatchOrderSeed});
  Curves curves;
  evaluate(model, train, test, curves);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (auto [x, y] : loader) {
      optimizer->zero_grad();
      F::cross_entropy(model(x), y).backward();
      optimizer->step();
      ++curves.steps;
    }
    evaluate(model, train, test, curves);
  }
  return curves;
}

// The first epoch whose training loss is below `target`, or -1.
int epochs_to_reach(const std::vector<double>& loss, double target) {
  for (std::size_t e = 0; e < loss.size(); ++e)
    if (loss[e] < target) return static_cast<int>(e);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("optimizers", argc, argv);
  const int epochs = run.quick() ? 12 : 40;

  // Pixel counts 0..16 scaled to [0, 1]; the split and the batch order are seeded.
  nn::TensorDataset digits = nn::load_csv(xg::examples::data_file("digits.csv").string());
  digits = nn::TensorDataset(digits.inputs() / 16.0, digits.targets());
  auto [train, test] = nn::train_test_split(digits, 0.25, /*seed=*/42);
  const std::size_t steps_per_epoch = (train.size() + kBatchSize - 1) / kBatchSize;
  std::printf("8x8 digits: %zu training and %zu test images; 64-64-10 ReLU network, batches of %zu "
              "(%zu steps per epoch), %d epochs\n",
              train.size(), test.size(), kBatchSize, steps_per_epoch, epochs);
  std::printf("every optimizer starts from the same weights (manual_seed(%llu)) and sees the same batches\n\n",
              static_cast<unsigned long long>(kInitSeed));

  const auto choices = optimizer_choices();
  std::vector<Curves> results;
  for (const auto& choice : choices) results.push_back(train_with(choice, train, test, epochs));

  // Training loss every few epochs: the curves as numbers.
  std::printf("training loss (whole training split) after each epoch\n%6s %7s", "epoch", "steps");
  for (const auto& c : choices) std::printf(" %10s", c.label.c_str());
  std::printf("\n");
  const int print_every = run.quick() ? 1 : 5;
  for (int e = 0; e <= epochs; ++e) {
    if (e > 3 && e % print_every != 0 && e != epochs) continue;
    std::printf("%6d %7zu", e, static_cast<std::size_t>(e) * steps_per_epoch);
    for (const auto& r : results) std::printf(" %10.4f", r.train_loss[e]);
    std::printf("\n");
  }

  std::printf("\n%-10s %-16s %12s %12s %10s %18s\n", "optimizer", "settings", "first loss", "final loss",
              "test acc", "epochs to loss<0.1");
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const Curves& r = results[i];
    const int reach = epochs_to_reach(r.train_loss, kTargetLoss);
    std::printf("%-10s %-16s %12.4f %12.4f %9.1f%% %18s\n", choices[i].label.c_str(), choices[i].settings.c_str(),
                r.train_loss.front(), r.train_loss.back(), 100.0 * r.test_accuracy.back(),
                reach < 0 ? "not reached" : std::to_string(reach).c_str());
    run.summary(choices[i].key + "_initial_loss", r.train_loss.front());
    run.summary(choices[i].key + "_final_loss", r.train_loss.back());
    run.summary(choices[i].key + "_test_accuracy", r.test_accuracy.back());
    run.summary(choices[i].key + "_epochs_to_target", reach);
  }
  const Curves& sgd = results[0];
  const Curves& momentum = results[1];
  // How long plain SGD needs for the loss that momentum reached: the lesson in one number.
  const int sgd_epochs_for_momentum_loss = epochs_to_reach(sgd.train_loss, momentum.train_loss.back() + 1e-12);
  std::printf("\nafter %zu steps at lr %.2g: SGD's loss %.4f, momentum's %.4f (%.1fx lower)", sgd.steps,
              kSgdLearningRate, sgd.train_loss.back(), momentum.train_loss.back(),
              sgd.train_loss.back() / momentum.train_loss.back());
  if (sgd_epochs_for_momentum_loss < 0)
    std::printf("; SGD did not reach momentum's final loss within %d epochs\n", epochs);
  else
    std::printf("; SGD needed %d epochs to reach it\n", sgd_epochs_for_momentum_loss);

  run.summary("epochs", epochs);
  run.summary("steps", static_cast<double>(sgd.steps));
  run.summary("sgd_lr", kSgdLearningRate);
  run.summary("adam_lr", kAdamLearningRate);

  std::vector<double> epoch_axis;
  for (int e = 0; e <= epochs; ++e) epoch_axis.push_back(e);
  xg::examples::Figure fig("epoch", epoch_axis);
  auto& loss_panel = fig.panel("Training loss, same start and batches", "cross-entropy (training split)").logscale_y();
  auto& error_panel = fig.panel("Test error", "fraction wrong (test split)").logscale_y();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    const std::string loss_name = choices[i].label + " (" + choices[i].settings + ")";
    const std::string error_name = choices[i].label + " test error";
    std::vector<double> test_error;
    for (double a : results[i].test_accuracy) test_error.push_back(1.0 - a);
    fig.column(loss_name, results[i].train_loss);
    fig.column(error_name, test_error);
    loss_panel.plot(loss_name);
    error_panel.plot(error_name);
  }
  run.report(fig.save(run.out_path("optimizers")));
  return 0;
}
