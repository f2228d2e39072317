// The benchmark workloads (workloads.hpp) on libtorch, for comparison with bench_xgrad: the
// same data, initial weights and update rule through libtorch's C++ API (torch::nn::Linear,
// torch::optim::SGD), on one intra-op and one inter-op thread. See driver.hpp for the command line.
#include <ATen/Parallel.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include "driver.hpp"

namespace {

using bench::Act;
using bench::Data;
using bench::Workload;

torch::Tensor from_floats(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

class MlpRunner : public bench::Runner {
 public:
  MlpRunner(const Workload& w, const Data& d) : w_(w) {
    const std::size_t layers = w.sizes.size() - 1;
    for (std::size_t l = 0; l < layers; ++l) {
      const auto in = static_cast<int64_t>(w.sizes[l]), out = static_cast<int64_t>(w.sizes[l + 1]);
      torch::nn::Linear lin(in, out);
      {
        torch::NoGradGuard no_grad;
        lin->weight.copy_(from_floats(d.weight[l], {out, in}));
        lin->bias.copy_(from_floats(d.bias[l], {out}));
      }
      model_->push_back(lin);
      switch (l + 1 < layers ? w.hidden : w.output) {
        case Act::Tanh: model_->push_back(torch::nn::Tanh()); break;
        case Act::Sigmoid: model_->push_back(torch::nn::Sigmoid()); break;
        case Act::Relu: model_->push_back(torch::nn::ReLU()); break;
        case Act::None: break;
      }
    }
    opt_ = std::make_unique<torch::optim::SGD>(model_->parameters(),
                                               torch::optim::SGDOptions(w.lr).momentum(w.momentum));
    const auto batch = static_cast<int64_t>(w.batch);
    for (std::size_t b = 0; b < d.x.size(); ++b) {
      x_.push_back(from_floats(d.x[b], {batch, static_cast<int64_t>(w.sizes.front())}));
      y_.push_back(w.loss == bench::Loss::CrossEntropy
                       ? from_floats(d.y[b], {batch}).to(torch::kInt64)
                       : from_floats(d.y[b], {batch, static_cast<int64_t>(w.sizes.back())}));
    }
  }

  double step(int b, bool want_loss) override {
    opt_->zero_grad();
    const torch::Tensor out = model_->forward(x_[b]);
    const torch::Tensor loss = w_.loss == bench::Loss::CrossEntropy
                                   ? torch::nn::functional::cross_entropy(out, y_[b])
                                   : torch::nn::functional::mse_loss(out, y_[b]);
    loss.backward();
    opt_->step();
    return want_loss ? loss.item<double>() : 0.0;
  }

 private:
  const Workload& w_;
  torch::nn::Sequential model_;
  std::unique_ptr<torch::optim::SGD> opt_;
  std::vector<torch::Tensor> x_, y_;
};

class OpChainRunner : public bench::Runner {
 public:
  explicit OpChainRunner(const Workload& w)
      : ops_(w.chain_ops), x_(torch::full({1}, 0.5, torch::TensorOptions().requires_grad(true))) {}

  double step(int, bool want_grad) override {
    x_.mutable_grad() = torch::Tensor();
    torch::Tensor y = x_;
    for (int i = 0; i < ops_; ++i) {
      switch (i % 3) {
        case 0: y = y * 0.999; break;
        case 1: y = y + 0.001; break;
        default: y = torch::tanh(y);
      }
    }
    y.backward();
    return want_grad ? x_.grad().item<double>() : 0.0;
  }

 private:
  int ops_;
  torch::Tensor x_;
};

std::unique_ptr<bench::Runner> make_runner(const Workload& w, const Data& d) {
  if (w.kind == bench::Kind::OpChain) return std::make_unique<OpChainRunner>(w);
  return std::make_unique<MlpRunner>(w, d);
}

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);
  at::set_num_interop_threads(1);
  return bench::run_main(argc, argv, "libtorch", &make_runner);
}
