// OpenBLAS threading defaults (see blas.hpp).
#include <cstdlib>
#include <mutex>

#include "autodiff/blas.hpp"

extern "C" void openblas_set_num_threads(int);

namespace xg {

namespace {
std::once_flag g_default_applied;
}  // namespace

void set_blas_threads(int n) {
  std::call_once(g_default_applied, [] {});  // an explicit choice replaces the default
  openblas_set_num_threads(n < 1 ? 1 : n);
}

void init_blas_threads() {
  std::call_once(g_default_applied, [] {
    if (!std::getenv("OPENBLAS_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) openblas_set_num_threads(1);
  });
}

}  // namespace xg
