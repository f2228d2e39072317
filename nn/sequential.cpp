#include <fmt/format.h>

#include "nn/sequential.hpp"

namespace xg::nn {

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [_, layer] : named_children()) y = (*layer)(y);
  return y;
}

Module& Sequential::operator[](std::size_t i) const {
  if (i >= size()) throw ValueError(fmt::format("Sequential: index {} out of range for {} modules", i, size()));
  return *named_children()[i].second;
}

}  // namespace xg::nn
