// custom_op — adding an op with its own derivative through xg::Function, checking it, and
// training with it.
//
// Two smooth activations, each written as forward + backward:
//
//   softplus(x) = log(1 + eˣ)           softplus'(x) = σ(x)
//   swish(x)    = x · σ(x)              swish'(x)    = σ(x) + x·σ(x)(1 − σ(x)) = s (1 + x (1 − s)),  s = σ(x)
//
// The forward pass runs with the graph off (only values are computed); backward receives
// g = dL/dy and returns dL/dx = g · y'(x). Two reasons to write an op by hand instead of composing
// built-in ones: fewer nodes and saved tensors (one node instead of three or four), and control
// over numerics. Softplus here is computed as max(x, 0) + log(1 + e^−|x|), which never
// overflows: the composed log(1 + exp(x)) gives inf at x = 1000 and its gradient
// exp(x) / (1 + exp(x)) gives NaN there.
//
// A hand-written backward is a place for mistakes, so the program checks it three ways:
//   1. xg::gradcheck: the engine's Jacobian against central finite differences (float64);
//   2. against the same function composed from built-in ops (values and gradients agree to
//      rounding on a grid over [−8, 8]);
//   3. in use: a 30-16-2 network with swish as its hidden activation, trained with Adam
//      (lr 0.003, L2 weight decay 0.01, batches of 32) on the Breast Cancer Wisconsin data
//      (569 tumours, 30 features, malignant/benign; standardised with the training split's
//      statistics; 20% held out, split seed 0) reaches about 97% test accuracy after 10 epochs.
//      (Other split seeds give 95.6–100%: 114 test samples make one mistake 0.9 points.)
//
// Outputs: custom_op.csv/.gp/.png (training loss and test accuracy per epoch), custom_op.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using xg::Context;
using xg::Tensor;

/// softplus(x) = log(1 + eˣ), computed as relu(x) + log(1 + e^−|x|) (no overflow).
struct Softplus : xg::Function<Softplus> {
  static constexpr const char* name = "softplus";
  static Tensor forward(Context& ctx, const Tensor& x) {
    ctx.save_for_backward({x});
    return xg::relu(x) + xg::log(1.0 + xg::exp(-xg::abs(x)));
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& grad_output) {
    const Tensor x = ctx.saved(0);
    return {grad_output * xg::sigmoid(x)};
  }
};

/// swish(x) = x·σ(x) (also called SiLU); saves x and s = σ(x) for backward.
struct Swish : xg::Function<Swish> {
  static constexpr const char* name = "swish";
  static Tensor forward(Context& ctx, const Tensor& x) {
    const Tensor s = xg::sigmoid(x);
    ctx.save_for_backward({x, s});
    return x * s;
  }
  static std::vector<Tensor> backward(Context& ctx, const Tensor& grad_output) {
    const Tensor x = ctx.saved(0), s = ctx.saved(1);
    return {grad_output * s * (1.0 + x * (1.0 - s))};
  }
};

// The same functions from built-in ops: the engine differentiates them by itself.
Tensor softplus_composed(const Tensor& x) { return xg::log(1.0 + xg::exp(x)); }
Tensor swish_composed(const Tensor& x) { return x * xg::sigmoid(x); }

using UnaryOp = std::function<Tensor(const Tensor&)>;

/// f(x) and df/dx (elementwise: the gradient of sum f(x)) at `x`.
std::pair<std::vector<double>, std::vector<double>> value_and_derivative(const UnaryOp& f, const Tensor& points) {
  Tensor x = points.detach().clone().requires_grad_();
  Tensor y = f(x);
  y.sum().backward();
  return {y.to_vector(), x.grad().to_vector()};
}

struct Comparison {
  double max_value_diff = 0, max_grad_diff = 0;
};

/// Custom vs composed on the grid; prints a few rows.
Comparison compare(const char* name, const UnaryOp& custom, const UnaryOp& composed, const Tensor& grid) {
  const auto [cv, cg] = value_and_derivative(custom, grid);
  const auto [pv, pg] = value_and_derivative(composed, grid);
  const std::vector<double> xs = grid.to_vector();
  std::printf("%6s %18s %18s %18s %18s\n", "x", (std::string(name) + " custom").c_str(), "composed", "d/dx custom",
              "d/dx composed");
  Comparison c;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    c.max_value_diff = std::max(c.max_value_diff, std::abs(cv[i] - pv[i]));
    c.max_grad_diff = std::max(c.max_grad_diff, std::abs(cg[i] - pg[i]));
    if (i % 8 == 0)
      std::printf("%6.2f %18.12f %18.12f %18.12f %18.12f\n", xs[i], cv[i], pv[i], cg[i], pg[i]);
  }
  std::printf("max |custom - composed| over %zu points in [-8, 8]: values %.2g, derivatives %.2g\n\n", xs.size(),
              c.max_value_diff, c.max_grad_diff);
  return c;
}

xg::GradcheckResult check(const char* name, const UnaryOp& op) {
  xg::manual_seed(7);
  const Tensor x = 4.0 * xg::randn({4, 6}, xg::kFloat64);  // spread over about [−12, 12]
  auto result = xg::gradcheck([&](const std::vector<Tensor>& in) { return op(in[0]); }, {x});
  std::printf("gradcheck %-8s %s (max abs error %.2g, max rel error %.2g)\n  %s\n", name, result.ok ? "ok" : "FAILED",
              result.max_abs_error, result.max_rel_error, result.report.c_str());
  return result;
}

/// The activation as a module, to put into a Sequential.
struct SwishActivation : xg::nn::Module {
  Tensor forward(const Tensor& x) override { return Swish::apply(x); }
  std::string repr() const override { return "Swish"; }
};

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("custom_op", argc, argv);
  namespace nn = xg::nn;

  // ---- 1. gradcheck
  std::printf("1. The hand-written backward against finite differences (float64)\n");
  const auto softplus_check = check("softplus", [](const Tensor& x) { return Softplus::apply(x); });
  const auto swish_check = check("swish", [](const Tensor& x) { return Swish::apply(x); });

  // ---- 2. custom vs composed
  std::printf("\n2. Custom op vs the same function from built-in ops\n");
  const Tensor grid = xg::arange(65, xg::kFloat64) * 0.25 - 8.0;  // -8, -7.75, ..., 8
  const Comparison softplus_cmp = compare("softplus", Softplus::apply<Tensor>, softplus_composed, grid);
  const Comparison swish_cmp = compare("swish", Swish::apply<Tensor>, swish_composed, grid);

  const Tensor huge = xg::tensor({1000.0}, xg::kFloat64);
  const auto [big_custom, big_custom_grad] = value_and_derivative(Softplus::apply<Tensor>, huge);
  const auto [big_composed, big_composed_grad] = value_and_derivative(softplus_composed, huge);
  auto show = [](double v) { return std::isnan(v) ? std::string("nan") : fmt::format("{:g}", v); };
  std::printf("at x = 1000: custom softplus = %s (d/dx %s); composed log(1 + exp(x)) = %s (d/dx %s)\n\n",
              show(big_custom[0]).c_str(), show(big_custom_grad[0]).c_str(), show(big_composed[0]).c_str(),
              show(big_composed_grad[0]).c_str());

  // ---- 3. training with swish as the activation
  std::printf("3. A 30-16-2 network with swish activations on the breast-cancer data\n");
  xg::manual_seed(0);
  const nn::TensorDataset data = nn::load_csv(xg::examples::data_file("breast_cancer.csv").string(), {.has_header = true});
  const auto [train, test] = nn::train_test_split(data, 0.2, /*seed=*/0);
  nn::Standardizer scaler;
  const nn::TensorDataset train_std(scaler.fit_transform(train.inputs()), train.targets());
  const Tensor x_test = scaler.transform(test.inputs());
  nn::DataLoader loader(train_std, {.batch_size = 32, .shuffle = true, .seed = 0});

  nn::Sequential model(nn::Linear(30, 16), SwishActivation(), nn::Linear(16, 2));
  xg::optim::Adam opt(model.parameters(), {.lr = 0.003, .weight_decay = 0.01});
  const int epochs = run.quick() ? 10 : 30;
  std::printf("%6s %12s %14s\n", "epoch", "train loss", "test accuracy");
  std::vector<double> losses, accuracies;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    model.train();
    double loss_sum = 0;
    std::size_t samples = 0;
    for (auto [x, y] : loader) {
      opt.zero_grad();
      const Tensor loss = nn::functional::cross_entropy(model(x), y);
      loss.backward();
      opt.step();
      loss_sum += loss.item() * static_cast<double>(x.shape()[0]);
      samples += x.shape()[0];
    }
    model.eval();
    xg::NoGradGuard no_grad;
    losses.push_back(loss_sum / static_cast<double>(samples));
    accuracies.push_back(xg::optim::accuracy(model(x_test), test.targets()));
    if (epoch == 1 || epoch % 5 == 0 || epoch == epochs)
      std::printf("%6d %12.5f %13.1f%%\n", epoch, losses.back(), 100.0 * accuracies.back());
  }
  std::printf("test accuracy %.1f%% on %zu held-out samples\n", 100.0 * accuracies.back(), test.size());

  run.summary("softplus_gradcheck_ok", softplus_check.ok ? 1.0 : 0.0);
  run.summary("softplus_gradcheck_max_abs_error", softplus_check.max_abs_error);
  run.summary("swish_gradcheck_ok", swish_check.ok ? 1.0 : 0.0);
  run.summary("swish_gradcheck_max_abs_error", swish_check.max_abs_error);
  run.summary("softplus_max_value_diff", softplus_cmp.max_value_diff);
  run.summary("softplus_max_grad_diff", softplus_cmp.max_grad_diff);
  run.summary("swish_max_value_diff", swish_cmp.max_value_diff);
  run.summary("swish_max_grad_diff", swish_cmp.max_grad_diff);
  run.summary("softplus_at_1000", big_custom[0]);
  run.summary("epochs", epochs);
  run.summary("final_train_loss", losses.back());
  run.summary("test_accuracy", accuracies.back());

  xg::examples::Figure fig("epoch");
  fig.column("train loss", losses);
  fig.column("test accuracy", accuracies);
  fig.panel("Training loss (swish network)", "cross-entropy").plot("train loss");
  fig.panel("Held-out accuracy", "accuracy").plot("test accuracy");
  run.report(fig.save(run.out_path("custom_op")));
  return 0;
}
