#pragma once
// Parameter initialisation, as torch.nn.init. Each function fills the tensor in place (without
// recording a graph) from xg's global generator (manual_seed) and returns it.
//
// fan_in / fan_out of a weight {out, in, k...}: fan_in = in·k..., fan_out = out·k... (a 1-D
// tensor has fan_in = fan_out = its length in calculate_fans).
//
// Contract (ValueError naming the function and the value): an undefined tensor; a NaN or infinite
// argument (gain, a, param, lo, hi, mean, std); a negative gain or std; lo > hi; an unknown enum
// value. xavier_* and kaiming_* leave a zero-element tensor as it is (a no-op, as PyTorch) and
// refuse a non-empty tensor of fewer than 2 dims (PyTorch: "Fan in and fan out can not be
// computed for tensor with fewer than 2 dimensions"). constant_ takes any value, NaN included.
#include "autodiff/tensor.hpp"

namespace xg::nn::init {

enum class FanMode { FanIn, FanOut };
enum class Nonlinearity { Linear, Sigmoid, Tanh, ReLU, LeakyReLU };

/// The recommended gain for a nonlinearity, as PyTorch: Linear and Sigmoid 1, Tanh 5/3,
/// ReLU √2, LeakyReLU √(2 / (1 + slope²)) with `param` the negative slope (finite).
double calculate_gain(Nonlinearity nonlinearity, double param = 0.01);

/// Glorot: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)); gain finite and >= 0.
Tensor& xavier_uniform_(Tensor& t, double gain = 1);
/// Glorot: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).
Tensor& xavier_normal_(Tensor& t, double gain = 1);
/// He: U(−b, b) with b = gain·√(3 / fan), gain = calculate_gain(nonlinearity, a) (a finite,
/// any sign). The defaults give variance 2 / fan_in (ReLU).
Tensor& kaiming_uniform_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                         Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// He: N(0, σ²) with σ = gain / √fan.
Tensor& kaiming_normal_(Tensor& t, double a = 0, FanMode mode = FanMode::FanIn,
                        Nonlinearity nonlinearity = Nonlinearity::LeakyReLU);
/// U(lo, hi): lo <= hi, both finite (and hi − lo finite).
Tensor& uniform_(Tensor& t, double lo = 0, double hi = 1);
/// N(mean, std²): mean finite, std finite and >= 0.
Tensor& normal_(Tensor& t, double mean = 0, double std = 1);
Tensor& zeros_(Tensor& t);
Tensor& ones_(Tensor& t);
Tensor& constant_(Tensor& t, double value);

/// (fan_in, fan_out) of a weight shape; ValueError for a 0-D tensor.
std::pair<std::size_t, std::size_t> calculate_fans(const Shape& shape);

}  // namespace xg::nn::init
