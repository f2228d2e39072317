#!/usr/bin/env bash
# xgrad against libtorch on the workloads of bench/workloads.hpp: builds bench_xgrad and
# bench_torch in Release (build-bench/), runs the two alternately for several rounds on one
# thread, and prints the raw lines, then per workload the median time of each engine, the
# median of the per-round ratios xgrad ÷ libtorch, and the target. See docs/performance.md.
#
#   bash scripts/bench.sh                  # 5 rounds of every workload
#   bash scripts/bench.sh --quick          # 2 short rounds
#   bash scripts/bench.sh --rounds 9 -w mlp-mnist -w tiny
#   bash scripts/bench.sh --memcheck 10000 # resident memory over 10,000 steps of each workload
#   bash scripts/bench.sh --no-build       # use the binaries already in build-bench/
#
# Installs libtorch-dev (Debian 12) when missing; without it only xgrad's numbers are printed.
# Timings are only meaningful on an otherwise idle machine.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

rounds=5
quick=()
build=1
memcheck=0
workloads=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick); rounds=2 ;;
    --rounds) rounds="$2"; shift ;;
    -w|--workload) workloads+=("$2"); shift ;;
    --no-build) build=0 ;;
    --memcheck) memcheck="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

dir=build-bench
if [ "$build" -eq 1 ]; then
  xgrad_ensure_packages "${XGRAD_PACKAGES[@]}" libtorch-dev
  xgrad_configure "$dir" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF
  xgrad_build "$dir"   # the library, bench_xgrad, and bench_torch where libtorch was found
fi

# One thread everywhere: OpenBLAS, OpenMP (libtorch's intra-op pool); bench_torch also calls
# at::set_num_threads(1) and at::set_num_interop_threads(1).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Debian 12's OpenBLAS (0.3.21) does not recognise CPUs released after it and falls back to its
# generic SSE3 kernels ("Prescott"), several times slower than the machine allows. Unless the
# caller chose, name the kernel set for the CPU's widest vector unit. Both engines load the same
# libopenblas, so they run the same kernel either way; each output line names it (blas=...).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  cpu_flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
  if grep -qw avx512f <<<"$cpu_flags"; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 <<<"$cpu_flags"; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi

xgrad_bin="$dir/bench/bench_xgrad"
torch_bin="$dir/bench/bench_torch"
floor_bin="$dir/bench/bench_floor"
[ -x "$xgrad_bin" ] || { echo "error: $xgrad_bin is missing (run without --no-build)" >&2; exit 1; }
engines=("$xgrad_bin")
if [ -x "$torch_bin" ]; then engines+=("$torch_bin"); else echo "note: no bench_torch (libtorch not found): xgrad only"; fi
if [ "${#workloads[@]}" -eq 0 ]; then mapfile -t workloads < <("$xgrad_bin" --list); fi

if [ "$memcheck" -gt 0 ]; then
  for w in "${workloads[@]}"; do
    for bin in "${engines[@]}"; do "$bin" -w "$w" --memcheck "$memcheck"; done
  done
  exit 0
fi

raw="$dir/bench-raw.txt"
: >"$raw"
echo "==> $rounds rounds, engines alternating (raw lines also in $raw)"
for ((r = 1; r <= rounds; r++)); do
  order=("${engines[@]}")
  if [ $((r % 2)) -eq 0 ] && [ "${#engines[@]}" -eq 2 ]; then order=("${engines[1]}" "${engines[0]}"); fi
  for w in "${workloads[@]}"; do
    for bin in "${order[@]}"; do
      line="$("$bin" -w "$w" "${quick[@]}") round=$r"
      echo "$line" | tee -a "$raw"
    done
    # The GEMM floor (bench_floor: the step's GEMMs and a fused update, no engine) in the same round.
    if [ -x "$floor_bin" ] && [ "$w" != op-chain ]; then
      line="$("$floor_bin" -w "$w" "${quick[@]}") round=$r"
      echo "$line" | tee -a "$raw"
    fi
  done
done

# field NAME: the value of NAME=... on each line of stdin.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
target_of() {
  case "$1" in
    tiny) echo 0.15 ;; op-chain) echo 0.10 ;; deep-narrow) echo 0.25 ;;
    mlp-digits) echo 0.45 ;; mlp-mnist) echo 0.85 ;; mlp-wide) echo 0.92 ;; *) echo - ;;
  esac
}

blas="$(field blas <"$raw" | sort -u | tr '\n' ' ')"
echo
if [ "$(field blas <"$raw" | sort -u | wc -l)" -eq 1 ]; then
  echo "==> medians over $rounds rounds; OpenBLAS kernel: ${blas}(both engines ran the same)"
else
  echo "==> medians over $rounds rounds; WARNING: the runs used different OpenBLAS kernels: $blas"
fi
echo "    time = process CPU time per step (op-chain: per op); ratio = median over rounds of xgrad ÷ libtorch"
printf '%-12s %13s %13s %7s %7s %4s %8s %16s %s\n' workload xgrad libtorch ratio target met gflops rss_MiB_x/t loss_last_x/t
for w in "${workloads[@]}"; do
  x_lines="$(grep "^workload=$w engine=xgrad " "$raw" || true)"
  t_lines="$(grep "^workload=$w engine=libtorch " "$raw" || true)"
  unit=us key=us_per_step
  if [ "$w" = op-chain ]; then unit=ns key=ns_per_op; fi
  xm="$(field "$key" <<<"$x_lines" | median)"
  tm="$(field "$key" <<<"$t_lines" | median)"
  ratio=- met=- target="$(target_of "$w")"
  if [ -n "$t_lines" ]; then
    ratio="$(paste <(field "$key" <<<"$x_lines") <(field "$key" <<<"$t_lines") | awk '{ printf "%.4f\n", $1 / $2 }' | median)"
    if [ "$target" != - ]; then met="$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "yes" : "NO" }')"; fi
  fi
  awk -v w="$w" -v xm="$xm" -v tm="$tm" -v u="$unit" -v r="$ratio" -v t="$target" -v m="$met" \
      -v g="$(field gflops <<<"$x_lines" | median)" \
      -v rss="$(field peak_rss_mib <<<"$x_lines" | median)/$(field peak_rss_mib <<<"$t_lines" | median)" \
      -v loss="$(field loss_last <<<"$x_lines" | head -1)/$(field loss_last <<<"$t_lines" | head -1)" \
      'function num(v) { return v == "-" ? sprintf("%10s", "-") : sprintf("%10.2f", v) }
       BEGIN { printf "%-12s %s %s %s %s %7s %7s %4s %8.2f %16s %s\n", w, num(xm), u, num(tm), u, r, t, m, g, rss, loss }'
done

# Where the time goes: each engine's step against the floor of its GEMMs (bench_floor).
if [ -x "$floor_bin" ]; then
  echo
  echo "==> time outside the GEMMs: step time − floor (floor = the step's GEMMs through cblas + a fused update)"
  printf '%-12s %11s %11s %11s %11s %11s\n' workload floor_us xgrad_us libtorch_us x_outside_us t_outside_us
  for w in "${workloads[@]}"; do
    [ "$w" = op-chain ] && continue
    fm="$(grep "^workload=$w engine=floor " "$raw" | field us_per_step | median)"
    xm="$(grep "^workload=$w engine=xgrad " "$raw" | field us_per_step | median)"
    tm="$(grep "^workload=$w engine=libtorch " "$raw" | field us_per_step | median)"
    awk -v w="$w" -v f="$fm" -v x="$xm" -v t="$tm" \
      'function num(v) { return v == "-" ? sprintf("%11s", "-") : sprintf("%11.2f", v) }
       function out(v) { return (v == "-" || f == "-") ? sprintf("%11s", "-") : sprintf("%11.2f", v - f) }
       BEGIN { printf "%-12s %s %s %s %s %s\n", w, num(f), num(x), num(t), out(x), out(t) }'
  done
fi

# Peak memory on mlp-wide: xgrad's should be at most a third of libtorch's.
x_rss="$(grep "^workload=mlp-wide engine=xgrad " "$raw" | field peak_rss_mib | median)"
t_rss="$(grep "^workload=mlp-wide engine=libtorch " "$raw" | field peak_rss_mib | median)"
if [ "$x_rss" != - ] && [ "$t_rss" != - ]; then
  awk -v x="$x_rss" -v t="$t_rss" 'BEGIN { printf "==> mlp-wide peak RSS: xgrad %.1f MiB, libtorch %.1f MiB: %.2f of it (target <= 0.33: %s)\n", x, t, x / t, (x <= t / 3) ? "yes" : "NO" }'
fi
