#!/usr/bin/env bash
# Installs what is missing (Debian 12), builds xgrad and its tests, and runs the whole suite
# with ctest.
#
#   bash scripts/test.sh               # Release build in build/
#   bash scripts/test.sh --sanitize    # AddressSanitizer + UBSan + LeakSanitizer, in build-asan/
#   bash scripts/test.sh --tsan        # ThreadSanitizer, in build-tsan/: the thread tests (-R Threads)
#                                      # unless ctest arguments are given; OPENBLAS_NUM_THREADS=1
#   bash scripts/test.sh -R gradcheck  # further arguments go to ctest
#   XGRAD_JOBS=4 bash scripts/test.sh  # build and test parallelism (default 2)
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

sanitize=0
tsan=0
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=1
  shift
elif [ "${1:-}" = "--tsan" ]; then
  tsan=1
  shift
fi

xgrad_ensure_packages "${XGRAD_PACKAGES[@]}"

if [ "$sanitize" -eq 1 ]; then
  dir=build-asan
  xgrad_configure "$dir" -DXGRAD_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF
  xgrad_build "$dir"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  echo "==> ctest in $dir (ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS)"
elif [ "$tsan" -eq 1 ]; then
  dir=build-tsan
  xgrad_configure "$dir" -DXGRAD_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DXGRAD_BUILD_TESTS=ON -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF
  xgrad_build "$dir" --target xgrad_tests
  # OpenBLAS is not instrumented: one BLAS thread, and scripts/tsan.supp for what remains.
  export OPENBLAS_NUM_THREADS=1
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$XGRAD_ROOT/scripts/tsan.supp"
  echo "==> ctest in $dir (TSAN_OPTIONS=$TSAN_OPTIONS OPENBLAS_NUM_THREADS=1)"
  if [ "$#" -eq 0 ]; then
    set -- -R Threads
  fi
else
  dir=build
  xgrad_configure "$dir" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=ON
  xgrad_build "$dir"
  echo "==> ctest in $dir"
fi
ctest --test-dir "$dir" --output-on-failure -j "$XGRAD_JOBS" "$@"
