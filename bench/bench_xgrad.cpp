// The benchmark workloads (workloads.hpp) on xgrad. See driver.hpp for the command line.
#include <cstring>

#include <autodiff/autodiff.hpp>
#include <nn/nn.hpp>
#include <optim/optim.hpp>

#include "driver.hpp"

namespace {

using bench::Act;
using bench::Data;
using bench::Workload;

xg::Tensor from_floats(const std::vector<float>& v, xg::Shape shape) {
  xg::Tensor t = xg::empty(std::move(shape));
  std::memcpy(t.data_ptr<float>(), v.data(), v.size() * sizeof(float));
  return t;
}

void add_activation(xg::nn::Sequential& model, Act a) {
  switch (a) {
    case Act::Tanh: model.push_back(xg::nn::Tanh()); break;
    case Act::Sigmoid: model.push_back(xg::nn::Sigmoid()); break;
    case Act::Relu: model.push_back(xg::nn::ReLU()); break;
    case Act::None: break;
  }
}

// Sequential(Linear, act, ..., Linear, out_act) with the table's weights; SGD or Momentum.
class MlpRunner : public bench::Runner {
 public:
  MlpRunner(const Workload& w, const Data& d) : w_(w) {
    const std::size_t layers = w.sizes.size() - 1;
    for (std::size_t l = 0; l < layers; ++l) {
      xg::nn::Linear lin(w.sizes[l], w.sizes[l + 1]);
      {
        xg::NoGradGuard no_grad;
        lin.weight.copy_(from_floats(d.weight[l], {w.sizes[l + 1], w.sizes[l]}));
        lin.bias.copy_(from_floats(d.bias[l], {w.sizes[l + 1]}));
      }
      model_.push_back(lin);
      add_activation(model_, l + 1 < layers ? w.hidden : w.output);
    }
    if (w.momentum > 0)
      opt_ = std::make_unique<xg::optim::Momentum>(model_.parameters(),
                                                   xg::optim::MomentumOptions{.lr = w.lr, .momentum = w.momentum});
    else
      opt_ = std::make_unique<xg::optim::SGD>(model_.parameters(), xg::optim::SGDOptions{.lr = w.lr});
    for (std::size_t b = 0; b < d.x.size(); ++b) {
      x_.push_back(from_floats(d.x[b], {w.batch, w.sizes.front()}));
      y_.push_back(w.loss == bench::Loss::CrossEntropy ? from_floats(d.y[b], {w.batch})
                                                       : from_floats(d.y[b], {w.batch, w.sizes.back()}));
    }
  }

  double step(int b, bool want_loss) override {
    opt_->zero_grad();
    const xg::Tensor out = model_(x_[b]);
    const xg::Tensor loss = w_.loss == bench::Loss::CrossEntropy ? xg::nn::functional::cross_entropy(out, y_[b])
                                                                 : xg::nn::functional::mse_loss(out, y_[b]);
    loss.backward();
    opt_->step();
    return want_loss ? loss.item() : 0.0;
  }

  std::string stats() const override {
    return "live_nodes=" + std::to_string(xg::live_node_count()) +
           " cached_buffer_mib=" + std::to_string(static_cast<double>(xg::cached_buffer_bytes()) / (1 << 20));
  }

 private:
  const Workload& w_;
  xg::nn::Sequential model_;
  std::unique_ptr<xg::optim::Optimizer> opt_;
  std::vector<xg::Tensor> x_, y_;
};

// x (one element) → ×0.999 → +0.001 → tanh → ... (chain_ops ops) → backward.
class OpChainRunner : public bench::Runner {
 public:
  explicit OpChainRunner(const Workload& w) : ops_(w.chain_ops), x_(xg::tensor({0.5}).requires_grad_()) {}

  double step(int, bool want_grad) override {
    x_.zero_grad();
    xg::Tensor y = x_;
    for (int i = 0; i < ops_; ++i) {
      switch (i % 3) {
        case 0: y = y * 0.999; break;
        case 1: y = y + 0.001; break;
        default: y = xg::tanh(y);
      }
    }
    y.backward();
    return want_grad ? x_.grad().item() : 0.0;
  }

  std::string stats() const override { return "live_nodes=" + std::to_string(xg::live_node_count()); }

 private:
  int ops_;
  xg::Tensor x_;
};

std::unique_ptr<bench::Runner> make_runner(const Workload& w, const Data& d) {
  if (w.kind == bench::Kind::OpChain) return std::make_unique<OpChainRunner>(w);
  return std::make_unique<MlpRunner>(w, d);
}

}  // namespace

int main(int argc, char** argv) { return bench::run_main(argc, argv, "xgrad", &make_runner); }
