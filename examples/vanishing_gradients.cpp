// vanishing_gradients — the course's central story, measured. Backpropagation multiplies, layer
// by layer, the local derivative of each activation with the layer's weights:
//
//   ∂L/∂h₁ = W₂ᵀ·diag(f'(z₂)) · W₃ᵀ·diag(f'(z₃)) ··· W_Lᵀ·diag(f'(z_L)) · ∂L/∂h_L
//
// The sigmoid's derivative σ'(z) = σ(z)(1 − σ(z)) is at most 0.25, so with weights of order one
// every sigmoid layer shrinks the gradient by about 4× or more: after 15 layers the first layer
// sees a gradient 10⁶–10⁹ times smaller than the last and learns nothing. tanh (derivative ≤ 1,
// but < 1 away from 0) shrinks less; ReLU passes the gradient unchanged where it is active, and
// He initialisation (variance 2/fan_in) keeps the signal's size constant from layer to layer;
// Xavier (variance 2/(fan_in + fan_out)) does the same for tanh.
//
// The program builds 16-layer MLPs (64 → 15 × 32 → 10) on the bundled 8×8 digits for five
// activations (sigmoid, tanh, ReLU, leaky ReLU, ELU) under three initialisations (PyTorch's
// default U(±1/√fan_in), Xavier uniform, He normal), and with xg::nn::GradientMonitor measures
// every layer's gradient norm at initialisation and after some training with SGD + momentum.
//
// Outputs: vanishing_gradients_init.{csv,gp,png} and vanishing_gradients_trained.{csv,gp,png}
// (gradient norm per layer, log scale, one panel per initialisation), vanishing_gradients.csv
// (every diagnostics row), vanishing_gradients.summary.
#include <autodiff/autodiff.hpp>
#include <example.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace xg;

enum class Activation { Sigmoid, Tanh, ReLU, LeakyReLU, ELU };
enum class Init { Default, Xavier, He };

const Activation kActivations[] = {Activation::Sigmoid, Activation::Tanh, Activation::ReLU, Activation::LeakyReLU,
                                   Activation::ELU};
const Init kInits[] = {Init::Default, Init::Xavier, Init::He};

const char* name_of(Activation a) {
  switch (a) {
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Tanh: return "tanh";
    case Activation::ReLU: return "relu";
    case Activation::LeakyReLU: return "leaky_relu";
    case Activation::ELU: return "elu";
  }
  return "?";
}

const char* name_of(Init i) {
  switch (i) {
    case Init::Default: return "default";
    case Init::Xavier: return "xavier";
    case Init::He: return "he";
  }
  return "?";
}

nn::Sequential add_activation(nn::Sequential model, Activation a) {
  switch (a) {
    case Activation::Sigmoid: model.push_back(nn::Sigmoid()); break;
    case Activation::Tanh: model.push_back(nn::Tanh()); break;
    case Activation::ReLU: model.push_back(nn::ReLU()); break;
    case Activation::LeakyReLU: model.push_back(nn::LeakyReLU(0.01)); break;
    case Activation::ELU: model.push_back(nn::ELU()); break;
  }
  return model;
}

// Initialises a hidden or output layer. Default: keep Linear's own U(±1/√fan_in) weights and
// biases. Xavier: U(±√(6/(fan_in + fan_out))), zero bias. He: N(0, 2/fan_in) for ReLU (leaky
// ReLU: 2/((1 + 0.01²)·fan_in)), zero bias.
void initialise(nn::Linear& layer, Init init, Activation a) {
  if (init == Init::Default) return;
  NoGradGuard no_grad;
  if (init == Init::Xavier) {
    nn::init::xavier_uniform_(layer.weight);
  } else {
    const double slope = a == Activation::LeakyReLU ? 0.01 : 0.0;
    nn::init::kaiming_normal_(layer.weight, slope);
  }
  nn::init::zeros_(layer.bias);
}

struct Net {
  nn::Sequential model;
  std::vector<nn::Linear> layers;
};

Net build(std::size_t inputs, std::size_t hidden, std::size_t depth, std::size_t classes, Activation a, Init init) {
  Net net;
  std::size_t fan_in = inputs;
  for (std::size_t i = 0; i + 1 < depth; ++i) {
    nn::Linear layer(fan_in, hidden);
    initialise(layer, init, a);
    net.layers.push_back(layer);
    net.model.push_back(layer);
    net.model = add_activation(net.model, a);
    fan_in = hidden;
  }
  nn::Linear out(fan_in, classes);
  initialise(out, init, a);
  net.layers.push_back(out);
  net.model.push_back(out);
  return net;
}

// Gradient norm of each Linear layer, input side first.
std::vector<double> layer_gradient_norms(const nn::GradientReport& report) {
  std::vector<double> norms;
  for (const auto& l : report.parameter_layers()) norms.push_back(l.grad_norm);
  return norms;
}

double accuracy_on(nn::Sequential& model, const nn::TensorDataset& data) {
  NoGradGuard no_grad;
  return optim::accuracy(model(data.inputs()), data.targets());
}

// One CSV row per layer of a report: when, config, layer, grad norm, weight norm, dead and
// saturated fractions (empty where they do not apply).
void write_rows(std::ofstream& rows, const char* when, const std::string& config, const nn::GradientReport& r) {
  auto field = [](double v) { return std::isnan(v) ? std::string() : std::to_string(v); };
  for (const auto& l : r.layers)
    rows << when << "," << config << "," << l.name << "," << field(l.has_parameters ? l.grad_norm : NAN) << ","
         << field(l.has_parameters ? l.weight_norm : NAN) << "," << field(l.dead_fraction) << ","
         << field(l.saturated_fraction) << "\n";
}

struct Outcome {
  std::vector<double> norms_init, norms_trained;
  double ratio_init = 0, ratio_trained = 0;  // first layer ÷ last layer
  double accuracy = 0;
  nn::GradientReport report_init;
};

Outcome study(Activation a, Init init, const nn::TensorDataset& train, const nn::TensorDataset& test,
              std::size_t depth, std::size_t steps, std::ofstream& rows) {
  manual_seed(1);
  Net net = build(64, 32, depth, 10, a, init);
  nn::GradientMonitor monitor(net.model);
  const std::string config = std::string(name_of(a)) + "/" + name_of(init);

  // Gradients at initialisation, on one fixed batch of 256 training samples.
  std::vector<std::size_t> first(256);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  const nn::Batch probe = train.batch(first);
  auto measure = [&] {
    net.model.zero_grad();
    nn::functional::cross_entropy(net.model(probe.x), probe.y).backward();
    auto report = monitor.check();
    net.model.zero_grad();
    return report;
  };
  Outcome o;
  o.report_init = measure();
  o.norms_init = layer_gradient_norms(o.report_init);
  o.ratio_init = o.report_init.first_to_last;
  write_rows(rows, "init", config, o.report_init);

  // Training: SGD with momentum, mini-batches of 32.
  optim::Momentum opt(net.model.parameters(), {.lr = 0.01, .momentum = 0.9});
  nn::DataLoader loader(train, {.batch_size = 32, .shuffle = true, .seed = 7});
  std::size_t step = 0;
  while (step < steps) {
    for (auto [x, y] : loader) {
      if (step++ == steps) break;
      opt.zero_grad();
      nn::functional::cross_entropy(net.model(x), y).backward();
      opt.step();
    }
  }
  const auto trained = measure();
  o.norms_trained = layer_gradient_norms(trained);
  o.ratio_trained = trained.first_to_last;
  write_rows(rows, "trained", config, trained);
  o.accuracy = accuracy_on(net.model, test);
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  auto run = xg::examples::Run::start("vanishing_gradients", argc, argv);
  const std::size_t depth = 16;  // 15 hidden layers + the output layer
  const std::size_t steps = run.quick() ? 60 : 600;

  auto data = nn::load_csv(xg::examples::data_file("digits.csv").string());
  auto [train, test] = nn::train_test_split(data, 0.25, 0);
  nn::Standardizer standardizer;
  train = nn::TensorDataset(standardizer.fit_transform(train.inputs()), train.targets());
  test = nn::TensorDataset(standardizer.transform(test.inputs()), test.targets());
  std::printf("8x8 digits: %zu training and %zu test samples; %zu-layer MLPs 64 -> 15 x 32 -> 10, "
              "%zu SGD+momentum steps each\n\n",
              train.size(), test.size(), depth, steps);

  std::ofstream rows(run.out_path("vanishing_gradients.csv"));
  rows << "when,config,layer,grad_norm,weight_norm,dead_fraction,saturated_fraction\n";

  std::vector<double> layer_index;
  for (std::size_t i = 1; i <= depth; ++i) layer_index.push_back(static_cast<double>(i));
  xg::examples::Figure at_init("layer", layer_index), after("layer", layer_index);

  nn::GradientReport sigmoid_default, relu_he;
  std::printf("%-12s %-8s %16s %16s %14s %10s\n", "activation", "init", "first/last @init", "first/last @end",
              "test accuracy", "");
  for (Init init : kInits) {
    auto& panel_init = at_init.panel(std::string("gradient norm at initialisation, ") + name_of(init) + " init",
                                     "||dL/dW||");
    auto& panel_after = after.panel(std::string("after training, ") + name_of(init) + " init", "||dL/dW||");
    panel_init.logscale_y();
    panel_after.logscale_y();
    for (Activation a : kActivations) {
      const Outcome o = study(a, init, train, test, depth, steps, rows);
      const std::string key = std::string(name_of(a)) + "_" + name_of(init);
      at_init.column(key, o.norms_init);
      after.column(key, o.norms_trained);
      panel_init.plot(key);
      panel_after.plot(key);
      std::printf("%-12s %-8s %16.3g %16.3g %13.1f%% %10s\n", name_of(a), name_of(init), o.ratio_init,
                  o.ratio_trained, 100 * o.accuracy, o.report_init.any_vanishing ? "vanishing" : "");
      run.summary(key + ".first_to_last_init", o.ratio_init);
      run.summary(key + ".first_to_last_trained", o.ratio_trained);
      run.summary(key + ".accuracy", o.accuracy);
      if (a == Activation::Sigmoid && init == Init::Default) sigmoid_default = o.report_init;
      if (a == Activation::ReLU && init == Init::He) relu_he = o.report_init;
    }
  }
  std::printf("\nThe monitor's table for sigmoid with the default initialisation, at initialisation:\n%s",
              sigmoid_default.to_table().c_str());
  std::printf("\nand for ReLU with He initialisation:\n%s", relu_he.to_table().c_str());
  std::printf("\nfirst/last: the first layer's gradient norm divided by the last layer's (1 = no shrinkage).\n");
  run.report(run.out_path("vanishing_gradients.csv"));
  run.report(at_init.save(run.out_path("vanishing_gradients_init")));
  run.report(after.save(run.out_path("vanishing_gradients_trained")));
  return 0;
}
