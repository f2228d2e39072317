// train_loop — the complete training loop of docs/training.md, with every library piece:
// CSV → train/test split → Standardizer → DataLoader → model → Momentum → loss → ProgressBar → accuracy.
//
//   usage: train_loop [path/to/breast_cancer.csv] [epochs]
#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <cstdio>
#include <exception>
#include <string>

#ifndef XGRAD_DATA_DIR
#define XGRAD_DATA_DIR "data"
#endif

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(XGRAD_DATA_DIR) + "/breast_cancer.csv";
  const int epochs = argc > 2 ? std::stoi(argv[2]) : 20;
  try {
    namespace nn = xg::nn;
    namespace F = xg::nn::functional;
    xg::manual_seed(0);  // model initialisation

    // 1. data: 569 × 30 features, labels 0 (malignant) / 1 (benign); the first line is a header
    nn::TensorDataset data = nn::load_csv(path, {.has_header = true});
    auto [train, test] = nn::train_test_split(data, 0.2, /*seed=*/42);

    // 2. standardise with the training split's statistics only
    nn::Standardizer scaler;
    nn::TensorDataset train_std(scaler.fit_transform(train.inputs()), train.targets());
    xg::Tensor x_test = scaler.transform(test.inputs());

    // 3. mini-batches, reshuffled every epoch
    nn::DataLoader loader(train_std, {.batch_size = 32, .shuffle = true, .seed = 0});

    // 4. model and optimizer: two logits, cross-entropy against the class indices
    nn::Sequential model(nn::Linear(30, 16), nn::ReLU(), nn::Linear(16, 2));
    xg::optim::Momentum opt(model.parameters(), {.lr = 0.05, .momentum = 0.9});

    for (int epoch = 1; epoch <= epochs; ++epoch) {
      model.train();
      xg::optim::ProgressBar bar(loader.size(), {.description = "epoch " + std::to_string(epoch),
                                                          .line_every_percent = 100});
      for (auto [x, y] : loader) {
        opt.zero_grad();
        xg::Tensor logits = model(x);
        xg::Tensor loss = F::cross_entropy(logits, y);
        loss.backward();
        opt.step();
        bar.update(x.shape()[0], loss.item(), xg::optim::accuracy(logits, y));
      }
      bar.close();
    }

    // 5. evaluate on the held-out split
    model.eval();
    xg::NoGradGuard no_grad;
    const double acc = xg::optim::accuracy(model(x_test), test.targets());
    std::printf("test accuracy %.1f%% (%zu samples)\n", 100.0 * acc, test.size());
    return acc > 0.9 ? 0 : 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_loop: error: %s\n", e.what());
    return 1;
  }
}
