// train_classifier — a 30-16-1 multilayer perceptron learns to tell malignant from benign
// tumours (Breast Cancer Wisconsin (Diagnostic), 569 samples, 30 features), written with
// nothing but xgrad's core: tensors, recorded ops, backward(), and in-place updates under
// NoGradGuard. The nn/ and optim/ modules would shorten it; here every step is spelled out.
//
//   usage: train_classifier [path/to/breast_cancer.csv]
//
// The CSV's first line is `rows,features,name0,name1`; each further line holds the features
// and then the label (0 = malignant, 1 = benign).
#include <autodiff/autodiff.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef XGRAD_DATA_DIR
#define XGRAD_DATA_DIR "data"
#endif

// The demo's helpers live in their own namespace and are called qualified (demo::bce), so that
// argument-dependent lookup never pits them against an xg:: function of the same name.
namespace demo {

struct Dataset {
  std::size_t rows = 0, features = 0;
  std::vector<double> x;  // rows × features, row-major
  std::vector<double> y;  // rows labels, 0 or 1
};

std::vector<double> parse_row(const std::string& line, const std::string& where) {
  std::vector<double> values;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    try {
      std::size_t used = 0;
      values.push_back(std::stod(cell, &used));
      while (used < cell.size() && std::isspace(static_cast<unsigned char>(cell[used]))) ++used;
      if (used != cell.size()) throw std::invalid_argument(cell);
    } catch (const std::exception&) {
      throw std::runtime_error(where + ": not a number: '" + cell + "'");
    }
  }
  return values;
}

Dataset load_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open data file '" + path + "'");
  Dataset d;
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty file");
  {
    std::stringstream ss(line);
    char comma = 0;
    if (!(ss >> d.rows >> comma >> d.features) || comma != ',' || d.rows == 0 || d.features == 0)
      throw std::runtime_error(path + ":1: expected a header 'rows,features,...', got '" + line + "'");
  }
  std::size_t lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    auto v = parse_row(line, where);
    if (v.size() != d.features + 1)
      throw std::runtime_error(where + ": expected " + std::to_string(d.features + 1) + " values, got " +
                               std::to_string(v.size()));
    if (v.back() != 0.0 && v.back() != 1.0)
      throw std::runtime_error(where + ": label must be 0 or 1");
    d.x.insert(d.x.end(), v.begin(), v.end() - 1);
    d.y.push_back(v.back());
  }
  if (d.y.size() != d.rows)
    throw std::runtime_error(path + ": header announces " + std::to_string(d.rows) + " rows, found " +
                             std::to_string(d.y.size()));
  return d;
}

// Mean binary cross-entropy of probabilities p against 0/1 targets y, composed from xg ops.
// p is clamped away from 0 and 1 so that log never sees 0.
xg::Tensor bce(const xg::Tensor& p, const xg::Tensor& y) {
  const double eps = 1e-6;
  auto q = xg::clamp(p, eps, 1.0 - eps);
  return -(y * xg::log(q) + (1.0 - y) * xg::log(1.0 - q)).mean();
}

double accuracy(const xg::Tensor& p, const xg::Tensor& y) {
  auto correct = xg::eq(xg::gt(p, xg::full({}, 0.5)), y);
  return correct.mean().item();
}

}  // namespace demo

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : std::string(XGRAD_DATA_DIR) + "/breast_cancer.csv";
  try {
    const auto t0 = std::chrono::steady_clock::now();
    demo::Dataset data = demo::load_csv(path);
    const std::size_t n = data.rows, f = data.features;

    // ---- seeded shuffle, 80/20 split
    xg::manual_seed(42);
    const auto perm = xg::randperm(n);
    const std::size_t n_train = n * 8 / 10, n_test = n - n_train;
    std::vector<double> xtr, ytr, xte, yte;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = perm[k];
      auto& xs = k < n_train ? xtr : xte;
      auto& ys = k < n_train ? ytr : yte;
      xs.insert(xs.end(), data.x.begin() + i * f, data.x.begin() + (i + 1) * f);
      ys.push_back(data.y[i]);
    }
    auto x_train = xg::from_vector(xtr, {n_train, f});
    auto y_train = xg::from_vector(ytr, {n_train, 1});
    auto x_test = xg::from_vector(xte, {n_test, f});
    auto y_test = xg::from_vector(yte, {n_test, 1});

    // ---- standardise with the training split's statistics (the features span four orders
    // of magnitude; without this the tanh units saturate and training stalls)
    auto mu = x_train.mean({0}, true);
    auto sigma = xg::sqrt(xg::pow(x_train - mu, 2.0).mean({0}, true)) + 1e-8;
    x_train = (x_train - mu) / sigma;
    x_test = (x_test - mu) / sigma;

    // ---- a 30-16-1 MLP: tanh hidden layer, sigmoid output; parameters are leaves
    const std::size_t hidden = 16;
    auto w1 = (xg::randn({f, hidden}) * std::sqrt(1.0 / static_cast<double>(f))).requires_grad_();
    auto b1 = xg::zeros({hidden}).requires_grad_();
    auto w2 = (xg::randn({hidden, 1}) * std::sqrt(1.0 / static_cast<double>(hidden))).requires_grad_();
    auto b2 = xg::zeros({1}).requires_grad_();
    std::vector<xg::Tensor> params = {w1, b1, w2, b2};
    auto model = [&](const xg::Tensor& x) { return xg::sigmoid(xg::tanh(x.matmul(w1) + b1).matmul(w2) + b2); };

    std::printf("breast cancer: %zu samples, %zu features; train %zu, test %zu\n", n, f, n_train, n_test);
    std::printf("model: %zu-%zu-1 MLP (tanh, sigmoid), binary cross-entropy, mini-batch SGD\n", f, hidden);

    // ---- mini-batch gradient descent
    const int epochs = 60, print_every = 5;
    const std::size_t batch = 32;
    const double lr = 0.1;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      const auto order = xg::randperm(n_train);
      double loss_sum = 0;
      for (std::size_t start = 0; start < n_train; start += batch) {
        const std::size_t end = std::min(start + batch, n_train);
        std::vector<std::size_t> idx(order.begin() + start, order.begin() + end);
        auto xb = x_train.index_select(0, idx);
        auto yb = y_train.index_select(0, idx);

        auto loss = demo::bce(model(xb), yb);
        loss.backward();
        loss_sum += loss.item() * static_cast<double>(end - start);

        xg::NoGradGuard no_grad;
        for (auto& w : params) {
          w.sub_(lr * w.grad());
          w.zero_grad();
        }
      }
      if (epoch == 1 || epoch % print_every == 0) {
        xg::NoGradGuard no_grad;
        auto p_test = model(x_test);
        std::printf("epoch %3d  train loss %.4f  test loss %.4f  test acc %.1f%%\n", epoch,
                    loss_sum / static_cast<double>(n_train), demo::bce(p_test, y_test).item(),
                    100.0 * demo::accuracy(p_test, y_test));
      }
    }

    xg::NoGradGuard no_grad;
    const double train_acc = demo::accuracy(model(x_train), y_train);
    const double test_acc = demo::accuracy(model(x_test), y_test);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("final: train accuracy %.1f%%, test accuracy %.1f%% (%zu/%zu)  [%.2f s]\n", 100.0 * train_acc,
                100.0 * test_acc, static_cast<std::size_t>(std::lround(test_acc * static_cast<double>(n_test))),
                n_test, secs);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_classifier: error: %s\n", e.what());
    if (argc <= 1) std::fprintf(stderr, "usage: %s [path/to/breast_cancer.csv]\n", argv[0]);
    return 1;
  }
}
