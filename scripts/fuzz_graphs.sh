#!/usr/bin/env bash
# Runs the random-graph gradient fuzzer (tests/fuzz/): random expression graphs over every op,
# each gradchecked in float64 against finite differences. Builds build/ (Release) as needed.
#
#   bash scripts/fuzz_graphs.sh                         # seed 1, graphs 0..9999
#   bash scripts/fuzz_graphs.sh --seed 7 --count 100000 # any number
#   bash scripts/fuzz_graphs.sh --seed 7 --graph 1234   # replay one graph, printed in full
#   bash scripts/fuzz_graphs.sh --aliasing --count 100000 # ops reading the .grad they feed
#
# Exit status 1 when a graph fails; its program and replay command are printed.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

xgrad_ensure_packages "${XGRAD_PACKAGES[@]}"
xgrad_configure build -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=ON >/dev/null
xgrad_build build --target xgrad_fuzz_graphs >/dev/null
if [ "$#" -eq 0 ]; then
  set -- --count 10000
fi
exec "$XGRAD_ROOT/build/tests/xgrad_fuzz_graphs" "$@"
