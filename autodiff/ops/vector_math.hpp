#pragma once
// Internal: vectorised float32 kernels for the activations that need a transcendental function.
// A scalar loop calls libm once per element and, for sigmoid, branches on the sign (random for
// activations, so mispredicted half the time); these run xsimd batches (the compiler's vector
// width) without branches, and agree with the scalar formulas to a few ulp.
#include <cstddef>

namespace xg::vector_math {

/// out[i] = σ(x[i]): 1 / (1 + e^−x) for x ≥ 0, e^x / (1 + e^x) below (so e^… never overflows).
/// NaN stays NaN; results under the smallest normal float (x < −87) may flush to 0.
void sigmoid(const float* x, float* out, std::size_t n);

/// out[i] = tanh(x[i]).
void tanh(const float* x, float* out, std::size_t n);

/// out[i] = e^x[i] (out may be x).
void exp(const float* x, float* out, std::size_t n);

}  // namespace xg::vector_math
