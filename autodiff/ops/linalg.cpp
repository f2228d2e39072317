// Matrix products (on the one GEMM, ops/gemm).
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "autodiff/blas.hpp"
#include "autodiff/derivatives.hpp"
#include "autodiff/ops.hpp"
#include "autodiff/ops/gemm.hpp"
#include "autodiff/ops/kernels.hpp"

namespace xg {

namespace {

struct MatrixView {
  std::size_t batch, rows, cols;  // stored layout
  bool batched;
};

MatrixView view_of(const Tensor& t, const char* which, const Tensor& a, const Tensor& b) {
  if (t.dim() == 2) return {1, t.shape()[0], t.shape()[1], false};
  if (t.dim() == 3) return {t.shape()[0], t.shape()[1], t.shape()[2], true};
  throw ShapeError(fmt::format("matmul: operand {} must be 2-D or 3-D here; got shapes {} and {}", which,
                               shape_str(a.shape()), shape_str(b.shape())));
}

}  // namespace

Tensor matmul_t(const Tensor& a0, const Tensor& b0, bool ta, bool tb, SourceSite site) {
  SiteScope site_scope(site);
  if (!a0.defined() || !b0.defined()) throw ValueError("matmul: undefined operand");
  init_blas_threads();  // the first matmul applies xgrad's BLAS default, even one small enough for the loop
  Tensor a = a0, b = b0;
  if (a.dtype() != b.dtype()) {
    const Dtype d = promote(a.dtype(), b.dtype());
    a = a.to(d);
    b = b.to(d);
  }
  const MatrixView va = view_of(a, "a", a0, b0), vb = view_of(b, "b", a0, b0);
  const std::size_t m = ta ? va.cols : va.rows, k = ta ? va.rows : va.cols;
  const std::size_t k2 = tb ? vb.cols : vb.rows, n = tb ? vb.rows : vb.cols;
  if (k != k2)
    throw ShapeError(fmt::format("matmul: shapes {}{} and {}{} do not align (inner dims {} and {})",
                                 shape_str(a.shape()), ta ? "ᵀ" : "", shape_str(b.shape()), tb ? "ᵀ" : "", k, k2));
  if (va.batch != vb.batch && va.batch != 1 && vb.batch != 1)
    throw ShapeError(fmt::format("matmul: batch sizes of shapes {} and {} do not broadcast ({} vs {})",
                                 shape_str(a.shape()), shape_str(b.shape()), va.batch, vb.batch));
  const std::size_t batch = va.batch == 1 ? vb.batch : va.batch;  // a batch of 1 stretches, also to 0
  const bool batched = va.batched || vb.batched;
  Tensor out = kernels::empty(batched ? Shape{batch, m, n} : Shape{m, n}, a.dtype());
  dispatch(a.dtype(), [&]<class T>() {
    const T* pa = a.impl()->data<T>();
    const T* pb = b.impl()->data<T>();
    T* pc = out.impl()->data<T>();
    for (std::size_t i = 0; i < batch; ++i) {
      const T* ai = pa + (va.batch == 1 ? 0 : i) * va.rows * va.cols;
      const T* bi = pb + (vb.batch == 1 ? 0 : i) * vb.rows * vb.cols;
      gemm::gemm(ta, tb, m, n, k, ai, va.cols, bi, vb.cols, T(0), pc + i * m * n, n);
    }
  });
  if (Context* ctx = record(Op::Matmul, out, {&a, &b})) {
    ctx->save(a, b);
    ctx->flag = ta;
    ctx->flag2 = tb;
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b, SourceSite site) {
  SiteScope site_scope(site);
  if (!a.defined() || !b.defined()) throw ValueError("matmul: undefined operand");
  const std::size_t da = a.dim(), db = b.dim();
  if (da == 0 || db == 0 || da > 3 || db > 3)
    throw ShapeError(fmt::format("matmul: operands must be 1-D, 2-D or 3-D; got shapes {} and {}",
                                 shape_str(a.shape()), shape_str(b.shape())));
  if (da == 1 && db == 1) {
    if (a.shape()[0] != b.shape()[0])
      throw ShapeError(fmt::format("matmul: dot product of shapes {} and {} needs equal lengths",
                                   shape_str(a.shape()), shape_str(b.shape())));
    return reshape(matmul_t(reshape(a, {1, a.numel()}), reshape(b, {b.numel(), 1}), false, false), {});
  }
  if (da == 1) {  // row vector times matrix(es): drop the added row dim
    Tensor r = matmul_t(reshape(a, {1, a.numel()}), b, false, false);
    Shape s = r.shape();
    s.erase(s.end() - 2);
    return reshape(r, s);
  }
  if (db == 1) {  // matrix(es) times column vector: drop the added column dim
    Tensor r = matmul_t(a, reshape(b, {b.numel(), 1}), false, false);
    Shape s = r.shape();
    s.pop_back();
    return reshape(r, s);
  }
  return matmul_t(a, b, false, false);
}

}  // namespace xg
