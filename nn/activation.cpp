#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/ops.hpp"
#include "nn/activation.hpp"

namespace xg::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }
std::string LeakyReLU::repr() const { return fmt::format("LeakyReLU(negative_slope={})", slope_); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha_); }
std::string ELU::repr() const { return fmt::format("ELU(alpha={})", alpha_); }

PReLU::PReLU(std::size_t num_parameters, double init) {
  if (num_parameters == 0) throw ValueError("PReLU: num_parameters must be at least 1");
  weight = register_parameter("weight", full({num_parameters}, init));
}
Tensor PReLU::forward(const Tensor& x) { return prelu(x, weight); }
std::string PReLU::repr() const { return fmt::format("PReLU(num_parameters={})", weight.numel()); }

Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim_); }
std::string Softmax::repr() const { return fmt::format("Softmax(dim={})", dim_); }
Tensor Identity::forward(const Tensor& x) { return identity(x); }
Tensor Step::forward(const Tensor& x) { return step(x); }

}  // namespace xg::nn
