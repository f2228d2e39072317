// OpenBLAS threading: one thread by default.
//
// For the small and medium GEMMs of typical models, a second OpenBLAS thread gave no gain on
// the reference machine, and OpenBLAS then allocates a 512 KB buffer per call. xgrad therefore
// sets OpenBLAS to 1 thread when the library loads, unless OPENBLAS_NUM_THREADS (or
// OMP_NUM_THREADS) is set in the environment, which then wins.
#include <cstdlib>

extern "C" void openblas_set_num_threads(int);

namespace xg {
namespace {
struct BlasThreads {
  BlasThreads() {
    if (!std::getenv("OPENBLAS_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) openblas_set_num_threads(1);
  }
};
const BlasThreads g_blas_threads;
}  // namespace

/// Sets the number of threads OpenBLAS uses for GEMM (xgrad's default is 1).
void set_blas_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

}  // namespace xg
