#!/usr/bin/env bash
# Fuzzes the file loaders with libFuzzer (clang 14 from Debian 12), in build-fuzz/:
#   fuzz_csv         nn::load_csv
#   fuzz_idx         nn::load_idx, nn::load_idx_dataset
#   fuzz_checkpoint  nn::load, optim::load_state
# Each target runs for the given number of seconds (default 30) over its corpus in
# fuzz/corpus/<target>/ (new interesting inputs go to build-fuzz/corpus-work/, never into the
# source tree), under AddressSanitizer + UndefinedBehaviorSanitizer, with allocations over
# 256 MB and a resident size over 2 GB counted as findings. Anything but one of xgrad's typed
# errors — a crash, a sanitizer report, another exception, a huge allocation, a refused load that
# changed its target — fails the script; the input that caused it is left in
# build-fuzz/findings/ (add it to fuzz/corpus/<target>/ once fixed). Prints the executions per
# target.
#
#   bash scripts/fuzz.sh          # 30 s per target
#   bash scripts/fuzz.sh 300      # 5 minutes per target
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

seconds="${1:-30}"
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: bash scripts/fuzz.sh [seconds-per-target]   (got '$seconds')" >&2
  exit 2
fi

# libFuzzer ships in libclang-rt-14-dev, only recommended by clang-14: name it.
xgrad_ensure_packages "${XGRAD_PACKAGES[@]}" clang-14 libclang-rt-14-dev

dir=build-fuzz
xgrad_configure "$dir" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DXGRAD_FUZZ=ON \
  -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF -DXGRAD_BUILD_BENCH=OFF
xgrad_build "$dir" --target fuzz_csv fuzz_idx fuzz_checkpoint

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OPENBLAS_NUM_THREADS=1

mkdir -p "$dir/findings"
status=0
summary=()
for target in csv idx checkpoint; do
  work="$dir/corpus-work/$target"
  mkdir -p "$work"
  log="$dir/fuzz_$target.log"
  echo "==> fuzz_$target: $seconds s over fuzz/corpus/$target (log: $log)"
  # -max_total_time bounds the run; -timeout flags a single input slower than 10 s.
  set +e
  "$dir/fuzz/fuzz_$target" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 -max_len=4096 \
    -print_final_stats=1 \
    -artifact_prefix="$dir/findings/${target}-" >"$log" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s += $1} END {print s + 0}')"
  if [ "$rc" -ne 0 ] || grep -q -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|FINDING|out-of-memory|deadly signal' "$log"; then
    echo "FAILED: fuzz_$target (exit $rc) after $execs executions; the end of $log:" >&2
    tail -n 40 "$log" >&2
    echo "the input is in $dir/findings/ (replay: $dir/fuzz/fuzz_$target <file>)" >&2
    status=1
    summary+=("fuzz_$target: $execs executions in ${seconds}s: FAILED")
  else
    summary+=("fuzz_$target: $execs executions in ${seconds}s: ok")
  fi
done

echo "==> fuzz summary"
printf '  %s\n' "${summary[@]}"
exit "$status"
