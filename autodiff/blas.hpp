#pragma once
// OpenBLAS threading. xgrad runs GEMM on 1 OpenBLAS thread unless told otherwise: for the
// small and medium matrices of typical models a second thread gave no gain on the reference
// machine, and OpenBLAS then allocates a 512 KB buffer per call. OPENBLAS_NUM_THREADS or
// OMP_NUM_THREADS in the environment, or set_blas_threads, override the default.

namespace xg {

/// Sets the number of threads OpenBLAS uses (values below 1 mean 1).
void set_blas_threads(int n);

/// Applies xgrad's default (1 thread, unless the environment names a count) once per process;
/// called by the first matmul.
void init_blas_threads();

}  // namespace xg
