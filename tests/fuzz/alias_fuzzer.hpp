#pragma once
// The aliasing fuzzer: ops whose inputs share storage with the .grad that their backward
// accumulates into — `lin(lin.weight.grad())`, `matmul(W.grad(), W)`, `y.backward(W.grad())`,
// a reshaped view of a .grad — where an engine that adds a gradient straight into .grad
// (NOTE [ Gradient sinks ]) would write a buffer while reading it. Each case is compared with
// the same gradient computed from copies (xg::grad, which never touches .grad).
#include <cstdint>
#include <string>

namespace xg::fuzz {

struct AliasResult {
  bool ok = true;
  std::string report;  ///< the case, expected and actual .grad, when not ok
  int forms = 0;       ///< aliased ops in the case
};

/// Builds and checks aliasing case `index` of `seed` (float64 mostly, float32 sometimes).
AliasResult check_aliasing(std::uint64_t seed, std::size_t index);

}  // namespace xg::fuzz
