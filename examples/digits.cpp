// digits — the README's demo: a multilayer perceptron learns to read handwritten digits.
//
// Data: the bundled 8×8 digits (UCI, 1,797 images of pixel counts 0..16, ten classes), split
// 80/20 into training and test sets, each pixel standardised with the training split's mean and
// standard deviation. Model: 64 → 128 → 64 → 10 with ReLU, logits into softmax cross-entropy
//
//   L = −(1/N) Σₙ log softmax(f(xₙ))_{yₙ},
//
// trained with mini-batches of 32 and SGD with momentum (v ← 0.9·v + ∇L, w ← w − 0.05·v).
// Each epoch shows a progress bar, then the test loss and accuracy. At the end a GradientMonitor
// prints the gradient flow of the last step (gradient and weight norms per layer, the size of
// the update relative to the weights, dead ReLU units), and the curves are drawn to a PNG.
//
// Outputs: digits_training.{csv,gp,png} (loss and accuracy per epoch), digits_diagnostics.csv,
// digits.xgc (the trained model, a checkpoint nn::load reads back), digits.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <chrono>
#include <iostream>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace xg;

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation evaluate(nn::Sequential& model, const nn::TensorDataset& data) {
  NoGradGuard no_grad;
  model.eval();
  const Tensor logits = model(data.inputs());
  Evaluation e{nn::functional::cross_entropy(logits, data.targets()).item(),
               optim::accuracy(logits, data.targets())};
  model.train();
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("digits", argc, argv);
  const int epochs = 30;  // --quick changes nothing: the whole run takes about a second
  const auto started = std::chrono::steady_clock::now();

  // Data: 1,797 labelled 8×8 images; standardise with the training split's statistics only.
  const auto data = nn::load_csv(xg::examples::data_file("digits.csv").string());
  auto [train, test] = nn::train_test_split(data, 0.2, /*seed=*/0);
  nn::Standardizer standardizer;
  train = nn::TensorDataset(standardizer.fit_transform(train.inputs()), train.targets());
  test = nn::TensorDataset(standardizer.transform(test.inputs()), test.targets());
  std::printf("8x8 handwritten digits: %zu training and %zu test images, 64 pixels each\n", train.size(),
              test.size());

  manual_seed(0);
  nn::Sequential model(nn::Linear(64, 128), nn::ReLU(), nn::Linear(128, 64), nn::ReLU(), nn::Linear(64, 10));
  std::printf("%s\n\n", model.to_string().c_str());
  optim::Momentum optimizer(model.parameters(), {.lr = 0.05, .momentum = 0.9});
  nn::DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = 0});
  nn::GradientMonitor monitor(model);

  std::vector<double> train_loss, train_accuracy, test_loss, test_accuracy;
  nn::GradientReport last_report;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    optim::ProgressBar bar(loader.size(), {.description = fmt::format("epoch {:2}/{}", epoch, epochs),
                                           .stream = &std::cout,
                                           .line_every_percent = 100});
    std::size_t step = 0;
    for (auto [x, y] : loader) {
      optimizer.zero_grad();
      const Tensor logits = model(x);
      const Tensor loss = nn::functional::cross_entropy(logits, y);
      loss.backward();
      if (epoch == epochs && ++step == loader.size()) {
        last_report = monitor.step(optimizer);  // the last step, observed
      } else {
        optimizer.step();
      }
      bar.update(x.shape()[0], loss.item(), optim::accuracy(logits, y));
    }
    bar.close();
    const Evaluation e = evaluate(model, test);
    train_loss.push_back(bar.mean_loss());
    train_accuracy.push_back(bar.mean_accuracy());
    test_loss.push_back(e.loss);
    test_accuracy.push_back(e.accuracy);
    std::printf("           test loss %.4f  test accuracy %.1f%%\n", e.loss, 100 * e.accuracy);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::printf("\nGradient flow at the last training step (GradientMonitor):\n%s", last_report.to_table().c_str());
  std::printf("\nfinal test accuracy: %.2f%% (%zu of %zu test images), %.1f s in all\n", 100 * test_accuracy.back(),
              static_cast<std::size_t>(test_accuracy.back() * static_cast<double>(test.size()) + 0.5), test.size(),
              seconds);

  {
    std::ofstream diagnostics(run.out_path("digits_diagnostics.csv"));
    diagnostics << last_report.to_csv();
  }
  nn::save(model, run.out_path("digits.xgc").string());
  xg::examples::Figure figure("epoch");
  figure.column("train loss", train_loss);
  figure.column("test loss", test_loss);
  figure.column("train accuracy", train_accuracy);
  figure.column("test accuracy", test_accuracy);
  figure.panel("cross-entropy loss", "loss").logscale_y().plot("train loss").plot("test loss");
  figure.panel("accuracy", "fraction correct").plot("train accuracy").plot("test accuracy");

  run.summary("epochs", epochs);
  run.summary("test_accuracy", test_accuracy.back());
  run.summary("test_loss", test_loss.back());
  run.summary("first_train_loss", train_loss.front());
  run.summary("last_train_loss", train_loss.back());
  run.summary("seconds", seconds);
  run.report(run.out_path("digits.xgc"));
  run.report(run.out_path("digits_diagnostics.csv"));
  const auto png = figure.save(run.out_path("digits_training"));
  if (png) {
    run.report(png);
  } else {
    std::printf("wrote %s (install gnuplot to get the PNG: gnuplot %s)\n",
                run.out_path("digits_training.csv").c_str(), run.out_path("digits_training.gp").c_str());
  }
  return 0;
}
