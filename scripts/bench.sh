#!/usr/bin/env bash
# xgrad against libtorch and dlib on the workloads of bench/workloads.hpp: builds bench_xgrad,
# bench_torch and bench_dlib in Release (build-bench/), runs them alternately for several rounds
# on one thread, and prints the raw lines, then per workload the median time of each engine, the
# median of the per-round ratios xgrad ÷ libtorch and xgrad ÷ dlib, and the target. See
# docs/performance.md.
#
#   bash scripts/bench.sh                  # 5 rounds of every workload
#   bash scripts/bench.sh --quick          # 2 short rounds
#   bash scripts/bench.sh --rounds 9 -w mlp-mnist -w tiny
#   bash scripts/bench.sh --memcheck 10000 # resident memory over 10,000 steps of each workload
#   bash scripts/bench.sh --no-build       # use the binaries already in build-bench/
#
# Installs libtorch-dev and libdlib-dev (Debian 12) when missing; an engine that is still missing
# is left out (xgrad alone at the least).
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
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

dir="build-bench"
if [ "$build" -eq 1 ]; then
  xgrad_ensure_packages "${XGRAD_PACKAGES[@]}"
  # The peers are optional: where they cannot be installed, the build leaves their runners out.
  (xgrad_ensure_packages libtorch-dev libdlib-dev) || echo "note: could not install libtorch-dev/libdlib-dev; going on without"
  xgrad_configure "$dir" -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=OFF -DXGRAD_BUILD_EXAMPLES=OFF
  xgrad_build "$dir"   # the library, bench_xgrad, bench_torch / bench_dlib where libtorch / dlib were found
fi

# One thread everywhere: OpenBLAS, OpenMP (libtorch's intra-op pool); bench_torch also calls
# at::set_num_threads(1) and at::set_num_interop_threads(1).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# Debian 12's OpenBLAS (0.3.21) does not recognise CPUs released after it and falls back to its
# generic SSE3 kernels ("Prescott"), several times slower than the machine allows. Unless the
# caller chose, name the kernel set for the CPU's widest vector unit. Both engines load the same
# libopenblas (libtorch and libdlib through libblas.so.3, Debian's thin wrapper over
# libopenblas.so.0), so they run the same kernel either way; each output line names it (blas=...).
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
dlib_bin="$dir/bench/bench_dlib"
floor_bin="$dir/bench/bench_floor"
[ -x "$xgrad_bin" ] || { echo "error: $xgrad_bin is missing (run without --no-build)" >&2; exit 1; }
engines=("$xgrad_bin")
if [ -x "$torch_bin" ]; then engines+=("$torch_bin"); else echo "note: no bench_torch (libtorch not found)"; fi
if [ -x "$dlib_bin" ]; then engines+=("$dlib_bin"); else echo "note: no bench_dlib (dlib not found)"; fi
if [ "${#workloads[@]}" -eq 0 ]; then mapfile -t workloads < <("$xgrad_bin" --list); fi

if [ "$memcheck" -gt 0 ]; then
  for w in "${workloads[@]}"; do
    for bin in "${engines[@]}"; do
      if [ "$bin" = "$dlib_bin" ] && [ "$w" = op-chain ]; then continue; fi  # no dlib equivalent
      "$bin" -w "$w" --memcheck "$memcheck"
    done
  done
  exit 0
fi

raw="$dir/bench-raw.txt"
: >"$raw"
echo "==> $rounds rounds, engines alternating (raw lines also in $raw)"
for ((r = 1; r <= rounds; r++)); do
  # The engines in turn, rotated by one every round (two engines: swapped), so none always goes first.
  order=()
  for ((i = 0; i < ${#engines[@]}; i++)); do order+=("${engines[$(((i + r - 1) % ${#engines[@]}))]}"); done
  for w in "${workloads[@]}"; do
    for bin in "${order[@]}"; do
      # op-chain has no dlib equivalent: bench_dlib prints an n/a line for it, kept out of the raw lines.
      if [ "$bin" = "$dlib_bin" ] && [ "$w" = op-chain ]; then continue; fi
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

# engine_lines WORKLOAD ENGINE: that engine's raw lines of the workload (none: nothing, no error).
engine_lines() { grep "^workload=$1 engine=$2 " "$raw" || true; }
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
  echo "==> medians over $rounds rounds; OpenBLAS kernel: ${blas}(every engine ran the same)"
else
  echo "==> medians over $rounds rounds; WARNING: the runs used different OpenBLAS kernels: $blas"
fi
echo "    time = process CPU time per step (op-chain: per op); ratio = median over rounds of xgrad ÷ engine"
echo "    (target and met: of xgrad ÷ libtorch; dlib's MSE runs use lr·2/n, see docs/performance.md)"
# first NAME: the value of NAME=... on the first line of stdin, or -.
first() { field "$1" | awk 'NR == 1 { print; f = 1 } END { if (!f) print "-" }'; }
# ratio_of X_LINES E_LINES KEY: the median over rounds of xgrad ÷ engine (rounds matched by round=), or -.
ratio_of() {
  paste <(field "$3" <<<"$1") <(field "$3" <<<"$2") | awk 'NF == 2 && $2 > 0 { printf "%.4f\n", $1 / $2 }' | median
}
printf '%-12s %13s %13s %13s %7s %7s %4s %7s %8s %16s %s\n' workload xgrad libtorch dlib x/torch target met x/dlib gflops rss_MiB_x/t/d loss_last_x/t/d
for w in "${workloads[@]}"; do
  x_lines="$(engine_lines "$w" xgrad)"
  t_lines="$(engine_lines "$w" libtorch)"
  d_lines="$(engine_lines "$w" dlib)"
  unit=us key=us_per_step
  if [ "$w" = op-chain ]; then unit=ns key=ns_per_op; fi
  xm="$(field "$key" <<<"$x_lines" | median)"
  tm="$(field "$key" <<<"$t_lines" | median)"
  dm="$(field "$key" <<<"$d_lines" | median)"
  ratio=- dratio=- met=- target="$(target_of "$w")"
  if [ -n "$t_lines" ]; then
    ratio="$(ratio_of "$x_lines" "$t_lines" "$key")"
    if [ "$target" != - ] && [ "$ratio" != - ]; then met="$(awk -v r="$ratio" -v t="$target" 'BEGIN { print (r <= t) ? "yes" : "NO" }')"; fi
  fi
  if [ -n "$d_lines" ]; then dratio="$(ratio_of "$x_lines" "$d_lines" "$key")"; fi
  awk -v w="$w" -v xm="$xm" -v tm="$tm" -v dm="$dm" -v u="$unit" -v r="$ratio" -v dr="$dratio" -v t="$target" -v m="$met" \
      -v g="$(field gflops <<<"$x_lines" | median)" \
      -v rss="$(field peak_rss_mib <<<"$x_lines" | median)/$(field peak_rss_mib <<<"$t_lines" | median)/$(field peak_rss_mib <<<"$d_lines" | median)" \
      -v loss="$(first loss_last <<<"$x_lines")/$(first loss_last <<<"$t_lines")/$(first loss_last <<<"$d_lines")" \
      'function num(v) { return v == "-" ? sprintf("%10s", "-") : sprintf("%10.2f", v) }
       BEGIN { printf "%-12s %s %s %s %s %s %s %7s %7s %4s %7s %8.2f %16s %s\n", w, num(xm), u, num(tm), u, num(dm), u, r, t, m, dr, g, rss, loss }'
done

# Where the time goes: each engine's step against the floor of its GEMMs (bench_floor).
if [ -x "$floor_bin" ]; then
  echo
  echo "==> time outside the GEMMs: step time − floor (floor = the step's GEMMs through cblas + a fused update)"
  printf '%-12s %11s %11s %11s %11s %11s %11s %11s\n' workload floor_us xgrad_us libtorch_us dlib_us \
    x_outside_us t_outside_us d_outside_us
  for w in "${workloads[@]}"; do
    [ "$w" = op-chain ] && continue
    fm="$(engine_lines "$w" floor | field us_per_step | median)"
    xm="$(engine_lines "$w" xgrad | field us_per_step | median)"
    tm="$(engine_lines "$w" libtorch | field us_per_step | median)"
    dm="$(engine_lines "$w" dlib | field us_per_step | median)"
    awk -v w="$w" -v f="$fm" -v x="$xm" -v t="$tm" -v d="$dm" \
      'function num(v) { return v == "-" ? sprintf("%11s", "-") : sprintf("%11.2f", v) }
       function out(v) { return (v == "-" || f == "-") ? sprintf("%11s", "-") : sprintf("%11.2f", v - f) }
       BEGIN { printf "%-12s %s %s %s %s %s %s %s\n", w, num(f), num(x), num(t), num(d), out(x), out(t), out(d) }'
  done
fi

# Peak memory on mlp-wide: xgrad's should be at most a third of libtorch's.
x_rss="$(engine_lines "mlp-wide" xgrad | field peak_rss_mib | median)"
t_rss="$(engine_lines "mlp-wide" libtorch | field peak_rss_mib | median)"
if [ "$x_rss" != - ] && [ "$t_rss" != - ]; then
  awk -v x="$x_rss" -v t="$t_rss" 'BEGIN { printf "==> mlp-wide peak RSS: xgrad %.1f MiB, libtorch %.1f MiB: %.2f of it (target <= 0.33: %s)\n", x, t, x / t, (x <= t / 3) ? "yes" : "NO" }'
fi
