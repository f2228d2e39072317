#pragma once
// Element types and shapes.
#include <cstddef>
#include <string_view>
#include <vector>

namespace xg {

/// Element type of a tensor. Float32 is the default everywhere, as in PyTorch.
enum class Dtype { Float32, Float64 };
inline constexpr Dtype kFloat32 = Dtype::Float32, kFloat64 = Dtype::Float64;

/// A tensor's extent in each dimension, outermost first. `{}` is a 0-D (scalar) shape.
using Shape = std::vector<std::size_t>;

/// "float32" / "float64".
std::string_view dtype_name(Dtype);
/// Bytes per element.
std::size_t dtype_size(Dtype);
/// The dtype a binary op computes in: the wider of the two (PyTorch's promotion).
inline Dtype promote(Dtype a, Dtype b) { return a == Dtype::Float64 || b == Dtype::Float64 ? Dtype::Float64 : Dtype::Float32; }

/// Product of the extents (1 for a 0-D shape). Throws ShapeError on overflow.
std::size_t shape_numel(const Shape&);
/// "[2, 3]" — the form every error message uses.
std::string shape_str(const Shape&);

/// Calls `f.template operator()<T>()` with T = float or double, matching `d`.
template <class F>
decltype(auto) dispatch(Dtype d, F&& f) {
  if (d == Dtype::Float64) return f.template operator()<double>();
  return f.template operator()<float>();
}

}  // namespace xg
