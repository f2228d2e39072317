#pragma once
// The fused affine primitive y = x·Wᵀ + b (nn::Linear and nn::functional::linear run on it),
// and GEMM helpers shared with matmul's backward.
#include <vector>

#include "autodiff/node.hpp"
#include "autodiff/tensor.hpp"

namespace xg {

class Context;
struct TensorImpl;

namespace fused {

/// y = x·Wᵀ + b, PyTorch's F.linear: x {..., in} (1-D or more), weight {out, in}, bias {out}
/// or undefined → y {..., out}. One GEMM onto the bias rows (beta = 1), no transposed copy.
///   d/dx = g·W,   d/dW = gᵀ·x (over all leading dims),   d/db = Σ_rows g.
/// Backward without create_graph runs the two GEMMs and the row sum directly, skips each
/// gradient nobody needs (the first layer's input), and adds dW and db straight into existing
/// .grad buffers (NOTE [ Gradient sinks ]). ShapeError naming every shape on a mismatch.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace fused

namespace detail {

/// The backward rule of fused::linear (in the derivative table).
GradList linear_backward(Context& ctx, const Tensor& g);

/// c += op(x)·op(y) by one GEMM with beta = 1, for 2-D x, y of c's dtype whose product has c's
/// shape; bumps c's version. Returns false, doing nothing, when c is null or that does not hold.
bool gemm_into_sink(TensorImpl* c, const Tensor& x, const Tensor& y, bool tx, bool ty);

}  // namespace detail

}  // namespace xg
