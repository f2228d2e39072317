#pragma once
// fmt support: fmt::format("{}", tensor) prints the same repr as operator<<.
#include <fmt/ostream.h>

#include "autodiff/tensor.hpp"

template <>
struct fmt::formatter<xg::Tensor> : fmt::ostream_formatter {};
