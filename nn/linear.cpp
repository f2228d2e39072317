#include <cmath>

#include <fmt/format.h>

#include "autodiff/creation.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/linear.hpp"
#include "nn/init.hpp"
#include "nn/linear.hpp"

namespace xg::nn {

Linear::Linear(std::size_t in_features, std::size_t out_features, bool with_bias)
    : in_(in_features), out_(out_features) {
  if (in_features == 0 || out_features == 0)
    throw ValueError(fmt::format("Linear(in={}, out={}): feature counts must be positive", in_features, out_features));
  Tensor w = empty({out_, in_});
  init::kaiming_uniform_(w, std::sqrt(5.0));
  weight = register_parameter("weight", w);
  if (with_bias) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in_));
    bias = register_parameter("bias", uniform({out_}, -bound, bound));
  }
}

Tensor Linear::forward(const Tensor& x) {
  if (!x.defined()) throw ValueError(fmt::format("{}: undefined input", repr()));
  if (x.dim() == 0 || x.dim() > 3 || x.shape().back() != in_)
    throw ShapeError(fmt::format("{}: input of shape {} must be 1-D to 3-D with {} features in its last dim",
                                 repr(), shape_str(x.shape()), in_));
  return fused::linear(x, weight, bias);
}

std::string Linear::repr() const {
  return fmt::format("Linear(in={}, out={}, bias={})", in_, out_, bias.defined());
}

}  // namespace xg::nn
