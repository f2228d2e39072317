#pragma once
// Creating tensors. dtype is always the last parameter and defaults to float32.
#include <cstdint>

#include "autodiff/tensor.hpp"

namespace xg {

/// From a nested list: tensor(0.5) -> shape {}, tensor({0.7}) -> {1}, tensor({{1, 2}, {3, 4}}) -> {2, 2}.
Tensor tensor(TensorLiteral data, Dtype dtype = kFloat32);
Tensor from_xarray(const xt::xarray<float>& values);    ///< float32 copy
Tensor from_xarray(const xt::xarray<double>& values);   ///< float64 copy
/// From a flat row-major vector of values (numel must match the shape).
Tensor from_vector(const std::vector<double>& values, Shape shape, Dtype dtype = kFloat32);

Tensor empty(Shape shape, Dtype dtype = kFloat32);   ///< uninitialised values
Tensor zeros(Shape shape, Dtype dtype = kFloat32);
Tensor ones(Shape shape, Dtype dtype = kFloat32);
Tensor full(Shape shape, double value, Dtype dtype = kFloat32);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
/// Uniform on [0, 1).
Tensor rand(Shape shape, Dtype dtype = kFloat32);
/// Standard normal.
Tensor randn(Shape shape, Dtype dtype = kFloat32);
/// Uniform on [lo, hi).
Tensor uniform(Shape shape, double lo, double hi, Dtype dtype = kFloat32);
/// Normal with the given mean and standard deviation.
Tensor normal(Shape shape, double mean, double stddev, Dtype dtype = kFloat32);
/// 0, 1, ..., n-1.
Tensor arange(std::size_t n, Dtype dtype = kFloat32);
/// A random permutation of 0..n-1 from the global generator.
std::vector<std::size_t> randperm(std::size_t n);

/// Seeds the global generator: the same seed gives the same numbers on every run and machine.
void manual_seed(std::uint64_t seed);

}  // namespace xg
