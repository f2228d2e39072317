#pragma once
// NOTE [ One GEMM ]
// Every matrix product of the engine — matmul forward and backward, fused::linear forward and
// backward, GEMMs into gradient sinks — goes through gemm() below: one place for the transpose
// flags, the small-matrix loop, the empty-extent conventions and the 32-bit limits of cblas.
//
// cblas takes its extents and leading dimensions as `int`. A product whose extents or leading
// dimensions exceed INT_MAX is split into sub-products that fit (row blocks, column blocks,
// blocks of the inner dimension accumulated with beta = 1, and single rows where only a leading
// dimension is too large): never a truncated extent, never a wrong number.
#include <cstddef>

namespace xg::gemm {

/// The largest extent or leading dimension passed to one cblas call (INT_MAX).
inline constexpr std::size_t kMaxBlasExtent = 2147483647;

/// C = beta·C + op(A)·op(B), all row-major:
///   op(A) is m × k: A is m × k (lda ≥ k) or, with ta, k × m (lda ≥ m);
///   op(B) is k × n: B is k × n (ldb ≥ n) or, with tb, n × k (ldb ≥ k);
///   C is m × n with leading dimension ldc ≥ n.
/// Conventions: m = 0 or n = 0 touches nothing; k = 0 gives beta·C (0 when beta = 0, whatever
/// C held, NaN included); beta = 0 never reads C. Small products (m·n·k ≤ 512 multiply-adds)
/// run on a plain loop, larger ones on OpenBLAS. C must not overlap A or B.
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
          const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, std::size_t lda,
          const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc);

}  // namespace xg::gemm
