#!/usr/bin/env bash
# Installs what is missing (Debian 12, with gnuplot for the pictures), builds xgrad in Release
# into build/, and runs the demo: a multilayer perceptron, trained with xgrad, that reads the
# bundled 8x8 handwritten digits (examples/digits.cpp) — progress bar, test accuracy, the
# gradient-flow diagnostics table, and a loss/accuracy PNG in xgrad-out/. Arguments are passed
# to the demo (e.g. --out DIR).
#
#   bash scripts/demo.sh            # from any directory
#   XGRAD_JOBS=4 bash scripts/demo.sh
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

xgrad_ensure_packages "${XGRAD_PACKAGES[@]}" "${XGRAD_DEMO_PACKAGES[@]}"
xgrad_configure build -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_EXAMPLES=ON
xgrad_build build --target digits
echo "==> running build/examples/digits"
exec "$XGRAD_ROOT/build/examples/digits" "$@"
