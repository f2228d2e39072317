#!/usr/bin/env bash
# Installs what is missing (Debian 12), builds xgrad in Release into build/, and runs the demo:
# a small neural network, trained with xgrad, that classifies breast tumours as malignant or
# benign (examples/train_classifier.cpp). Arguments are passed to the demo (a CSV path).
#
#   bash scripts/demo.sh            # from any directory
#   XGRAD_JOBS=4 bash scripts/demo.sh
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$XGRAD_ROOT"

xgrad_ensure_packages "${XGRAD_PACKAGES[@]}"
xgrad_configure build -DCMAKE_BUILD_TYPE=Release -DXGRAD_BUILD_EXAMPLES=ON
xgrad_build build --target train_classifier
echo "==> running build/examples/train_classifier"
exec "$XGRAD_ROOT/build/examples/train_classifier" "$@"
