#pragma once
// The differentiable ops. Each line of math gives the forward and its derivative (g is the
// gradient arriving at the output). Binary ops broadcast as PyTorch does: shapes are aligned
// from the right and extents of 1 stretch; a pair that does not broadcast is a ShapeError.
// Mixed float32/float64 operands compute in float64. Scalars (double) work on either side and
// take the tensor's dtype.
#include <vector>

#include "autodiff/source_site.hpp"
#include "autodiff/tensor.hpp"

namespace xg {

/// A tensor operand of an operator together with the site of the expression (operators cannot
/// take an extra defaulted parameter; the implicit conversion from Tensor carries it instead).
struct SitedTensor {
  SitedTensor(const Tensor& t, SourceSite s = SourceSite::current()) noexcept  // NOLINT: implicit on purpose
      : tensor(t), site(s) {}
  const Tensor& tensor;
  SourceSite site;
};


// ---------------------------------------------------------------- arithmetic (elementwise.cpp)
/// a + b.            d/da = g, d/db = g (each summed down to its operand's shape)
Tensor operator+(const Tensor& a, SitedTensor b);
/// a - b.            d/da = g, d/db = -g
Tensor operator-(const Tensor& a, SitedTensor b);
/// a * b.            d/da = g·b, d/db = g·a
Tensor operator*(const Tensor& a, SitedTensor b);
/// a / b.            d/da = g / b, d/db = -g·a / b²
Tensor operator/(const Tensor& a, SitedTensor b);
/// -a.               d/da = -g
Tensor operator-(SitedTensor a);
Tensor operator+(SitedTensor a, double b);
Tensor operator+(double a, SitedTensor b);
Tensor operator-(SitedTensor a, double b);
Tensor operator-(double a, SitedTensor b);
Tensor operator*(SitedTensor a, double b);
Tensor operator*(double a, SitedTensor b);
Tensor operator/(SitedTensor a, double b);
Tensor operator/(double a, SitedTensor b);
Tensor add(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
Tensor sub(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
Tensor mul(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
Tensor div(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
Tensor neg(const Tensor& a, SourceSite site = SourceSite::current());

// ---------------------------------------------------------------- math (elementwise.cpp)
/// x^p.              d/dx = g·p·x^(p-1)   (p = 0: zero gradient)
Tensor pow(const Tensor& x, double p, SourceSite site = SourceSite::current());
/// eˣ.               d/dx = g·eˣ  (uses the saved output)
Tensor exp(const Tensor& x, SourceSite site = SourceSite::current());
/// ln x.             d/dx = g / x   (x ≤ 0 gives -inf/NaN, as PyTorch)
Tensor log(const Tensor& x, SourceSite site = SourceSite::current());
/// √x.               d/dx = g / (2√x)
Tensor sqrt(const Tensor& x, SourceSite site = SourceSite::current());
/// |x|.              d/dx = g·sign(x), with sign(0) = 0
Tensor abs(const Tensor& x, SourceSite site = SourceSite::current());
/// min(max(x, lo), hi). d/dx = g where lo ≤ x ≤ hi, else 0. ValueError if lo > hi.
Tensor clamp(const Tensor& x, double lo, double hi, SourceSite site = SourceSite::current());
/// max(a, b) elementwise. d/da = g where a > b, g/2 where a = b (PyTorch's tie rule).
Tensor maximum(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
/// min(a, b) elementwise. d/da = g where a < b, g/2 where a = b.
Tensor minimum(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
/// mask ≠ 0 ? a : b, all three broadcast. d/da = g where mask, d/db = g elsewhere; mask gets none.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());

// ---------------------------------------------------------------- comparisons (elementwise.cpp)
// Not differentiable: 1 where the relation holds, else 0, in the promoted dtype; broadcast.
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Tensor& b);
/// 1 where a value is finite (not NaN or ±Inf), else 0 — as torch.isfinite.
Tensor isfinite(const Tensor& a);

// ---------------------------------------------------------------- reductions (reduction.cpp)
/// Σ of all elements → shape {}.        d/dx = g broadcast to x's shape
Tensor sum(const Tensor& x, SourceSite site = SourceSite::current());
/// Σ over `dims` (negative counts from the end; a dim named twice is a ShapeError; an empty list
/// means all dims; a 0-D tensor accepts dim 0 or −1). keepdim keeps the reduced dims with extent 1.     d/dx = g broadcast back
Tensor sum(const Tensor& x, std::vector<int> dims, bool keepdim = false, SourceSite site = SourceSite::current());
/// Mean of all elements (sum / numel).
Tensor mean(const Tensor& x, SourceSite site = SourceSite::current());
/// Mean over `dims`.
Tensor mean(const Tensor& x, std::vector<int> dims, bool keepdim = false, SourceSite site = SourceSite::current());
/// Max over one dim (the values). d/dx = g at the first maximal element of each slice, else 0.
/// ShapeError for a zero-size slice.
Tensor max(const Tensor& x, int dim, bool keepdim = false, SourceSite site = SourceSite::current());
/// Indices of the max over `dim` (first occurrence), as float values of the tensor's dtype. Not
/// differentiable.
Tensor argmax(const Tensor& x, int dim, bool keepdim = false);

// ---------------------------------------------------------------- shape (shape.cpp)
/// Same values, new shape (numel must match, else ShapeError).
/// Shares storage with x.          d/dx = reshape(g, x.shape)
Tensor reshape(const Tensor& x, Shape shape, SourceSite site = SourceSite::current());
/// Swaps dims d0 and d1 (negative allowed); a copy.      d/dx = transpose(g, d0, d1)
Tensor transpose(const Tensor& x, int d0, int d1, SourceSite site = SourceSite::current());
/// 2-D transpose (1-D and 0-D: returned as is).
Tensor t(const Tensor& x, SourceSite site = SourceSite::current());
/// Collapses dims start..end into one: {N, C, H} with start 1 → {N, C·H}.
Tensor flatten(const Tensor& x, int start = 1, SourceSite site = SourceSite::current());
/// Broadcasts x to `shape` (PyTorch's expand, materialised).   d/dx = g summed down to x.shape
Tensor expand(const Tensor& x, Shape shape, SourceSite site = SourceSite::current());
/// Elements start..end-1 along dim.   d/dx = g placed back into zeros
Tensor slice(const Tensor& x, int dim, std::size_t start, std::size_t end, SourceSite site = SourceSite::current());
/// Joins tensors along dim (all other extents equal; dtypes promote). d/dxᵢ = g's slice i
Tensor concat(std::vector<Tensor> tensors, int dim = 0, SourceSite site = SourceSite::current());
/// Rows `index` along dim (repeats allowed). d/dx = g added back at the indices (index_add)
Tensor index_select(const Tensor& x, int dim, const std::vector<std::size_t>& index, SourceSite site = SourceSite::current());
/// zeros with extent `size` along dim, then out[.., index[j], ..] += src[.., j, ..].
/// d/dsrc = index_select(g, dim, index)
Tensor index_add(const Tensor& src, int dim, const std::vector<std::size_t>& index, std::size_t size, SourceSite site = SourceSite::current());

// ---------------------------------------------------------------- linear algebra (linalg.cpp)
/// Matrix product, as torch.matmul for up to 3-D: 1-D·1-D → {} (dot); 2-D·2-D → {m, n};
/// 1-D operands are promoted to a row (left) or column (right) and the added dim removed;
/// 3-D batches {B, m, k}·{B, k, n} → {B, m, n}, a batch of 1 or a 2-D operand broadcasting.
/// d/da = g·bᵀ, d/db = aᵀ·g. Runs on cblas GEMM with transpose flags (no copies).
Tensor matmul(const Tensor& a, const Tensor& b, SourceSite site = SourceSite::current());
/// op(a)·op(b) with op = transpose where the flag is set (2-D or 3-D operands): the primitive
/// behind matmul and Linear (x·Wᵀ without a transposed copy).
Tensor matmul_t(const Tensor& a, const Tensor& b, bool transpose_a, bool transpose_b, SourceSite site = SourceSite::current());

// ---------------------------------------------------------------- activations (activation.cpp)
/// 1 / (1 + e⁻ˣ), computed without overflow.  d/dx = g·σ(x)·(1 − σ(x))
Tensor sigmoid(const Tensor& x, SourceSite site = SourceSite::current());
/// tanh x.                                   d/dx = g·(1 − tanh²x)
Tensor tanh(const Tensor& x, SourceSite site = SourceSite::current());
/// max(x, 0).                                d/dx = g where x > 0 (relu'(0) = 0)
Tensor relu(const Tensor& x, SourceSite site = SourceSite::current());
/// x > 0 ? x : slope·x.                      d/dx = g or g·slope (slope at 0)
Tensor leaky_relu(const Tensor& x, double slope = 0.01, SourceSite site = SourceSite::current());
/// x > 0 ? x : α(eˣ − 1).                    d/dx = g or g·α·eˣ
Tensor elu(const Tensor& x, double alpha = 1.0, SourceSite site = SourceSite::current());
/// x > 0 ? x : w·x with w of shape {1} or {C} (C = x.shape[1]).  d/dw = Σ g·x over x ≤ 0
Tensor prelu(const Tensor& x, const Tensor& weight, SourceSite site = SourceSite::current());
/// exp(x − max) / Σ exp(x − max) along dim.  d/dx = y·(g − Σ g·y)
Tensor softmax(const Tensor& x, int dim = -1, SourceSite site = SourceSite::current());
/// x − max − log Σ exp(x − max) along dim.   d/dx = g − softmax(x)·Σ g
Tensor log_softmax(const Tensor& x, int dim = -1, SourceSite site = SourceSite::current());
/// Binary step: 1 where x > 0, else 0. Gradient zero everywhere.
Tensor step(const Tensor& x, SourceSite site = SourceSite::current());
/// The linear activation: returns x itself.
Tensor identity(const Tensor& x, SourceSite site = SourceSite::current());

// ---------------------------------------------------------------- fused losses (loss.cpp)
// Elementwise / per-sample, unreduced; nn::functional adds validation and reduction. In their
// own namespace so that argument-dependent lookup on xg::Tensor never finds them in place of a
// user's own `bce` or `softmax_cross_entropy`.
namespace fused {
/// Per-row −log softmax(x)[label]: logits {N, C}, labels N class indices → {N}.
/// d/dx = g·(softmax(x) − onehot(label)); exact at logits ±1000. ShapeError for a row-count
/// mismatch, ValueError naming a label ≥ C.
Tensor softmax_cross_entropy(const Tensor& logits, const std::vector<std::size_t>& labels, SourceSite site = SourceSite::current());
/// max(x, 0) − x·t + log(1 + e^−|x|), the stable BCE of sigmoid(x) against t (same shapes).
/// d/dx = g·(σ(x) − t), d/dt = −g·x
Tensor bce_with_logits(const Tensor& logits, const Tensor& target, SourceSite site = SourceSite::current());
/// −(t·log p + (1 − t)·log(1 − p)) with each log clamped at −100 (PyTorch). ValueError for p
/// outside [0, 1] (NaN included). d/dp = g·(p − t) / max(p(1 − p), 1e-12),
/// d/dt = g·(log(1 − p) − log p) (clamped logs)
Tensor bce(const Tensor& prob, const Tensor& target, SourceSite site = SourceSite::current());
}  // namespace fused

// ---------------------------------------------------------------- casts
/// Differentiable cast (same as x.to(dtype)).
Tensor to(const Tensor& x, Dtype dtype, SourceSite site = SourceSite::current());

}  // namespace xg
