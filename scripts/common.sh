# shellcheck shell=bash
# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run): installs the Debian packages
# that are missing, then configures and builds a build directory of this repository.
#
# Environment: XGRAD_JOBS  parallel build/test jobs (default 2)

XGRAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
XGRAD_JOBS="${XGRAD_JOBS:-2}"
if ! [[ "$XGRAD_JOBS" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: XGRAD_JOBS must be a positive integer, got '$XGRAD_JOBS'" >&2
  exit 2
fi

# Everything the library, its tests and its examples need on Debian 12.
# shellcheck disable=SC2034  # used by the scripts that source this file
XGRAD_PACKAGES=(cmake g++ ninja-build pkg-config xtensor-dev libxtensor-blas-dev libxsimd-dev
                libopenblas-dev liblapack-dev libfmt-dev libgtest-dev)
# What the examples use when present: gnuplot renders their PNGs, Graphviz their graph pictures.
# shellcheck disable=SC2034
XGRAD_DEMO_PACKAGES=(gnuplot-nox graphviz)

xgrad_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: not root and sudo is not available; run as root: $*" >&2
    exit 1
  fi
}

# Installs those of the given packages that are not installed (apt-get update only if needed).
xgrad_ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "==> installing missing Debian packages: ${missing[*]}"
  xgrad_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
  xgrad_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# xgrad_configure BUILD_DIR [cmake args...]: configures BUILD_DIR (Ninja for a new one).
xgrad_configure() {
  local dir="$XGRAD_ROOT/$1"
  shift
  # A build directory copied along from another checkout cannot be reused: start it afresh.
  if [ -f "$dir/CMakeCache.txt" ]; then
    local home
    home="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$dir/CMakeCache.txt")"
    if [ "$home" != "$XGRAD_ROOT" ]; then
      echo "==> $dir was configured for another source tree ($home); starting it afresh"
      rm -rf "$dir"
    fi
  fi
  local generator=()
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    generator=(-G Ninja)
  fi
  echo "==> configuring $dir"
  cmake -S "$XGRAD_ROOT" -B "$dir" "${generator[@]}" "$@"
}

# xgrad_build BUILD_DIR [cmake --build args...]
xgrad_build() {
  local dir="$XGRAD_ROOT/$1"
  shift
  echo "==> building $dir (XGRAD_JOBS=$XGRAD_JOBS)"
  cmake --build "$dir" --parallel "$XGRAD_JOBS" "$@"
}
