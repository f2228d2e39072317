// Vectorised float32 activations (see vector_math.hpp).
#include <cmath>

#include <xsimd/xsimd.hpp>

#include "autodiff/ops/vector_math.hpp"

namespace xg::vector_math {

namespace {
using Batch = xsimd::batch<float>;
}  // namespace

void sigmoid(const float* x, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + Batch::size <= n; i += Batch::size) {
    const Batch v = Batch::load_unaligned(x + i);
    const Batch e = xsimd::exp(-xsimd::abs(v));  // e^−|x| ≤ 1
    const Batch r = Batch(1.0f) / (Batch(1.0f) + e);
    xsimd::select(v >= Batch(0.0f), r, e * r).store_unaligned(out + i);
  }
  for (; i < n; ++i) {
    const float v = x[i];
    if (v >= 0) {
      out[i] = 1.0f / (1.0f + std::exp(-v));
    } else {
      const float e = std::exp(v);
      out[i] = e / (1.0f + e);
    }
  }
}

void tanh(const float* x, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + Batch::size <= n; i += Batch::size) xsimd::tanh(Batch::load_unaligned(x + i)).store_unaligned(out + i);
  for (; i < n; ++i) out[i] = std::tanh(x[i]);
}

void exp(const float* x, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + Batch::size <= n; i += Batch::size) xsimd::exp(Batch::load_unaligned(x + i)).store_unaligned(out + i);
  for (; i < n; ++i) out[i] = std::exp(x[i]);
}

}  // namespace xg::vector_math
