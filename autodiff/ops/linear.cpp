// The fused affine primitive y = x·Wᵀ + b, and GEMMs into gradient sinks (all on ops/gemm).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "autodiff/derivatives.hpp"
#include "autodiff/grad_mode.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/gemm.hpp"
#include "autodiff/ops/kernels.hpp"
#include "autodiff/ops/linear.hpp"

namespace xg {

namespace {

// out[j] += Σ_i g[i, j] for g {rows, cols}: the bias gradient.
template <class T>
void add_column_sums(const T* g, std::size_t rows, std::size_t cols, T* out) {
  for (std::size_t i = 0; i < rows; ++i) {
    const T* row = g + i * cols;
    for (std::size_t j = 0; j < cols; ++j) out[j] += row[j];
  }
}

// The product of the leading extents (not numel / in: that is 0 for in = 0, dropping the bias rows).
std::size_t rows_of(const Tensor& t) {
  std::size_t rows = 1;
  for (std::size_t d = 0; d + 1 < t.dim(); ++d) rows *= t.shape()[d];
  return rows;
}

}  // namespace

namespace fused {

Tensor linear(const Tensor& x0, const Tensor& w0, const Tensor& b0) {
  if (!x0.defined() || !w0.defined()) throw ValueError("linear: undefined input or weight");
  const bool has_bias = b0.defined();
  const std::size_t out_f = w0.dim() == 2 ? w0.shape()[0] : 0, in_f = w0.dim() == 2 ? w0.shape()[1] : 0;
  if (x0.dim() == 0 || w0.dim() != 2 || x0.shape().back() != in_f ||
      (has_bias && (b0.dim() != 1 || b0.shape()[0] != out_f)))
    throw ShapeError(fmt::format("linear: input {}, weight {} and bias {} do not fit (need {{..., in}}, {{out, in}}, {{out}})",
                                 shape_str(x0.shape()), shape_str(w0.shape()),
                                 has_bias ? shape_str(b0.shape()) : std::string("none")));
  Dtype d = promote(x0.dtype(), w0.dtype());
  if (has_bias) d = promote(d, b0.dtype());
  const Tensor x = x0.to(d), w = w0.to(d), b = has_bias ? b0.to(d) : Tensor();
  Shape shape = x.shape();
  shape.back() = out_f;
  Tensor out = kernels::empty(std::move(shape), d);
  const std::size_t m = rows_of(x);
  dispatch(d, [&]<class T>() {
    T* po = out.impl()->data<T>();
    if (has_bias) {
      const T* pb = b.impl()->data<T>();
      for (std::size_t i = 0; i < m; ++i) std::memcpy(po + i * out_f, pb, out_f * sizeof(T));
    }
    gemm::gemm(false, true, m, out_f, in_f, x.impl()->data<T>(), in_f, w.impl()->data<T>(), in_f,
               has_bias ? T(1) : T(0), po, out_f);
  });
  if (Context* ctx = record(Op::Linear, out, {&x, &w, &b})) ctx->save(x, w);
  return out;
}

}  // namespace fused

namespace detail {

GradList linear_backward(Context& c, const Tensor& g) {
  const Tensor x = c.saved(0), w = c.saved(1);
  const std::size_t out_f = w.shape()[0], in_f = w.shape()[1], m = rows_of(x);
  const bool nx = c.needs_input_grad(0), nw = c.needs_input_grad(1), nb = c.needs_input_grad(2);
  Tensor gx, gw, gb;
  if (is_grad_enabled()) {  // create_graph: the same formulas from differentiable ops
    const Tensor g2 = reshape(g, {m, out_f});
    if (nx) gx = reshape(matmul_t(g2, w, false, false), x.shape());
    if (nw) gw = matmul_t(g2, reshape(x, {m, in_f}), true, false);
    if (nb) gb = sum(g2, {0});
    return {gx, gw, gb};
  }
  dispatch(g.dtype(), [&]<class T>() {
    const T* pg = g.impl()->data<T>();
    if (nx) {  // dx = g·W  {m, out}·{out, in}
      gx = kernels::empty(x.shape(), g.dtype());
      gemm::gemm(false, false, m, in_f, out_f, pg, out_f, w.impl()->data<T>(), in_f, T(0), gx.impl()->data<T>(),
                 in_f);
    }
    if (nw) {  // dW = gᵀ·x  {out, m}·{m, in}, into .grad when it exists
      TensorImpl* sink = c.grad_sink(1);
      T* dst;
      if (sink) {
        dst = sink->data<T>();
        ++sink->storage->version;
      } else {
        gw = kernels::empty(w.shape(), g.dtype());
        dst = gw.impl()->data<T>();
      }
      gemm::gemm(true, false, out_f, in_f, m, pg, out_f, x.impl()->data<T>(), in_f, sink ? T(1) : T(0), dst, in_f);
    }
    if (nb) {  // db = Σ_rows g
      TensorImpl* sink = c.grad_sink(2);
      T* dst;
      if (sink) {
        dst = sink->data<T>();
        ++sink->storage->version;
      } else {
        gb = kernels::empty({out_f}, g.dtype());
        dst = gb.impl()->data<T>();
        std::fill_n(dst, out_f, T(0));
      }
      add_column_sums(pg, m, out_f, dst);
    }
  });
  return {gx, gw, gb};
}

bool gemm_into_sink(TensorImpl* c, const Tensor& x, const Tensor& y, bool tx, bool ty) {
  if (!c || x.dim() != 2 || y.dim() != 2 || x.dtype() != c->dtype || y.dtype() != c->dtype || c->shape.size() != 2)
    return false;
  const std::size_t m = tx ? x.shape()[1] : x.shape()[0], k = tx ? x.shape()[0] : x.shape()[1];
  const std::size_t k2 = ty ? y.shape()[1] : y.shape()[0], n = ty ? y.shape()[0] : y.shape()[1];
  if (k != k2 || c->shape[0] != m || c->shape[1] != n) return false;
  dispatch(c->dtype, [&]<class T>() {
    gemm::gemm(tx, ty, m, n, k, x.impl()->data<T>(), x.shape()[1], y.impl()->data<T>(), y.shape()[1], T(1),
               c->data<T>(), n);
  });
  ++c->storage->version;
  return true;
}

}  // namespace detail

}  // namespace xg
