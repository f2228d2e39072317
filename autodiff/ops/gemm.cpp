// The one GEMM of the engine (NOTE [ One GEMM ]).
#include "autodiff/ops/gemm.hpp"

#include <algorithm>

#include <cblas.h>

#include "autodiff/blas.hpp"

namespace xg::gemm {

namespace {

// Below this many multiply-adds (m·n·k) a plain loop beats a BLAS call, whose fixed cost
// (argument checks, acquiring a packing buffer, packing both operands) is about that of a
// thousand multiply-adds: the small layers of tiny networks (a 2-8-1 MLP) stay out of BLAS.
constexpr std::size_t kSmallGemm = 512;

// Whether m·n·k ≤ kSmallGemm, without overflowing for huge extents (all three are ≥ 1).
bool is_small(std::size_t m, std::size_t n, std::size_t k) {
  return m <= kSmallGemm && n <= kSmallGemm / m && k <= kSmallGemm / (m * n);
}

int blas_int(std::size_t v) { return static_cast<int>(std::max<std::size_t>(v, 1)); }

void blas(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
          const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blas_int(m),
              blas_int(n), blas_int(k), 1.0f, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}
void blas(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, std::size_t lda,
          const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, blas_int(m),
              blas_int(n), blas_int(k), 1.0, a, blas_int(lda), b, blas_int(ldb), beta, c, blas_int(ldc));
}

// c[i, j] = beta·c[i, j] + Σ_p op(a)[i, p]·op(b)[p, j], as a plain loop.
template <class T>
void small(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda,
           const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  const std::size_t a_row = ta ? 1 : lda, a_col = ta ? lda : 1;  // op(a)[i, p] = a[i·a_row + p·a_col]
  const std::size_t b_row = tb ? 1 : ldb, b_col = tb ? ldb : 1;  // op(b)[p, j] = b[p·b_row + j·b_col]
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      T acc = 0;
      for (std::size_t p = 0; p < k; ++p) acc += a[i * a_row + p * a_col] * b[p * b_row + j * b_col];
      T& out = c[i * ldc + j];
      out = beta == T(0) ? acc : beta * out + acc;
    }
}

// A product with every extent ≥ 1, split until each piece fits cblas's int arguments.
template <class T>
void split(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda,
           const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  constexpr std::size_t L = kMaxBlasExtent;
  if (m > L) {  // row blocks of C: rows of op(A)
    for (std::size_t i = 0; i < m; i += L)
      split(ta, tb, std::min(L, m - i), n, k, ta ? a + i : a + i * lda, lda, b, ldb, beta, c + i * ldc, ldc);
    return;
  }
  if (n > L) {  // column blocks of C: columns of op(B)
    for (std::size_t j = 0; j < n; j += L)
      split(ta, tb, m, std::min(L, n - j), k, a, lda, tb ? b + j * ldb : b + j, ldb, beta, c + j, ldc);
    return;
  }
  if (k > L) {  // blocks of the inner dimension, summed into C
    for (std::size_t p = 0; p < k; p += L)
      split(ta, tb, m, n, std::min(L, k - p), ta ? a + p * lda : a + p, lda, tb ? b + p : b + p * ldb, ldb,
            p == 0 ? beta : T(1), c, ldc);
    return;
  }
  // The extents fit; a leading dimension may not. One stored row needs no leading dimension, so
  // a too-long stride is taken out by going one stored row at a time (few: the rows are long).
  const std::size_t a_rows = ta ? k : m, b_rows = tb ? n : k;
  if (lda > L && a_rows > 1) {
    for (std::size_t r = 0; r < a_rows; ++r)
      ta ? split(ta, tb, m, n, std::size_t{1}, a + r * lda, lda, tb ? b + r : b + r * ldb, ldb, r == 0 ? beta : T(1), c, ldc)
         : split(ta, tb, std::size_t{1}, n, k, a + r * lda, lda, b, ldb, beta, c + r * ldc, ldc);
    return;
  }
  if (ldb > L && b_rows > 1) {
    for (std::size_t r = 0; r < b_rows; ++r)
      tb ? split(ta, tb, m, std::size_t{1}, k, a, lda, b + r * ldb, ldb, beta, c + r, ldc)
         : split(ta, tb, m, n, std::size_t{1}, ta ? a + r * lda : a + r, lda, b + r * ldb, ldb, r == 0 ? beta : T(1), c, ldc);
    return;
  }
  if (ldc > L && m > 1) {
    for (std::size_t r = 0; r < m; ++r)
      split(ta, tb, std::size_t{1}, n, k, ta ? a + r : a + r * lda, lda, b, ldb, beta, c + r * ldc, ldc);
    return;
  }
  // Every remaining leading dimension either fits or belongs to a single stored row, where
  // cblas only checks it against the row length.
  const std::size_t a_len = ta ? m : k, b_len = tb ? k : n;
  blas(ta, tb, m, n, k, a, a_rows > 1 ? lda : a_len, b, b_rows > 1 ? ldb : b_len, beta, c, m > 1 ? ldc : n);
}

template <class T>
void gemm_impl(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda,
               const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: C = beta·C
    if (beta == T(1)) return;
    for (std::size_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      if (beta == T(0)) std::fill_n(row, n, T(0));
      else for (std::size_t j = 0; j < n; ++j) row[j] *= beta;
    }
    return;
  }
  if (is_small(m, n, k)) return small(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
  if (beta == T(0) && ldc == n) {  // one memset, then accumulate: OpenBLAS zeroes C column by column otherwise
    std::fill_n(c, m * n, T(0));
    beta = T(1);
  }
  init_blas_threads();
  split(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
          const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  gemm_impl(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, std::size_t lda,
          const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
  gemm_impl(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace xg::gemm
