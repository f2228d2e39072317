#!/usr/bin/env bash
# The memory soak: trains a small MLP for many steps (default 100,000) and prints resident
# memory and live graph nodes every 5,000 steps; fails if memory grows after the warm-up.
#
#   bash scripts/soak.sh                       # 100,000 steps
#   bash scripts/soak.sh --steps 1000000 --csv soak.csv
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

xgrad_ensure_packages "${XGRAD_PACKAGES[@]}"
xgrad_configure build -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_TESTS=ON >/dev/null
xgrad_build build --target xgrad_soak >/dev/null
exec "$XGRAD_ROOT/build/tests/xgrad_soak" "$@"
