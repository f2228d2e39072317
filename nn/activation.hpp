#pragma once
// One module per activation of the course. Each calls the op of the same name (see
// docs/ops.md for the math); PReLU owns a learnable weight.
#include "nn/module.hpp"

namespace xg::nn {

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "ReLU()"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "Sigmoid()"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "Tanh()"; }
};

/// x > 0 ? x : slope·x
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double slope = 0.01) : slope_(slope) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double negative_slope() const { return slope_; }

 private:
  double slope_;
};

/// x > 0 ? x : α(eˣ − 1)
class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha_(alpha) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;
  double alpha() const { return alpha_; }

 private:
  double alpha_;
};

/// x > 0 ? x : w·x with a learnable `weight` of shape {num_parameters} (1, or the channel count
/// = dim 1 of the input), initialised to `init`.
class PReLU : public Module {
 public:
  explicit PReLU(std::size_t num_parameters = 1, double init = 0.25);
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

  Tensor weight;
};

/// softmax along dim.
class Softmax : public Module {
 public:
  explicit Softmax(int dim = -1) : dim_(dim) {}
  Tensor forward(const Tensor& x) override;
  std::string repr() const override;

 private:
  int dim_;
};

/// The linear activation: returns its input.
class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "Identity()"; }
};

/// Binary step: 1 where x > 0, else 0; zero gradient.
class Step : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string repr() const override { return "Step()"; }
};

}  // namespace xg::nn
