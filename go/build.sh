#!/usr/bin/env bash
# Builds the two native libraries asherah-bun-preload ships, reproducibly:
#   asherah-bun-warmup.<ext>   Go c-shared library exporting WarmupGoRuntime / Warmup
#   asherah-bun-signals.<ext>  plain C helpers that snapshot and repair signal dispositions
# into prebuilds/<platform>-<arch>/ and records their sha256 in prebuilds/SHA256SUMS.
#
# usage: go/build.sh [--check] [target ...]
#   target   linux-x64 | linux-arm64 | darwin-x64 | darwin-arm64 (default: linux-x64 linux-arm64)
#   --check  rebuild into a temporary folder and fail unless the bytes equal the committed ones
set -euo pipefail
export LC_ALL=C # glob and sort order, and therefore link order and bytes, must not depend on the locale

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
check=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    linux-x64|linux-arm64|darwin-x64|darwin-arm64) targets+=("$arg") ;;
    *) echo "go/build.sh: unknown argument '$arg' (expected --check or one of linux-x64 linux-arm64 darwin-x64 darwin-arm64)" >&2; exit 2 ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(linux-x64 linux-arm64)

# The bytes of a Go binary depend on the Go release; building with another one
# would silently change every checksum. Refuse instead, naming both versions.
want=$(sed -n 's/^toolchain go//p' "$here/go.mod")
have=$(go env GOVERSION | sed 's/^go//')
if [ "$want" != "$have" ]; then
  echo "go/build.sh: go/go.mod pins Go $want but 'go' is $have." >&2
  echo "  Install Go $want, or run with GOTOOLCHAIN=go$want so the go command fetches it from the module proxy." >&2
  exit 1
fi

cc_for() {
  case "$1" in
    linux-x64) echo "${CC_LINUX_X64:-x86_64-linux-gnu-gcc}" ;;
    linux-arm64) echo "${CC_LINUX_ARM64:-aarch64-linux-gnu-gcc}" ;;
    darwin-*) echo "${CC_DARWIN:-clang}" ;;
  esac
}

build_one() {
  local target=$1 out=$2
  local goos=${target%-*} arch=${target#*-} goarch ext cc
  case "$arch" in x64) goarch=amd64 ;; arm64) goarch=arm64 ;; esac
  case "$goos" in linux) ext=so ;; darwin) ext=dylib ;; esac
  cc=$(cc_for "$target")
  if ! command -v "$cc" >/dev/null 2>&1; then
    echo "go/build.sh: C compiler '$cc' for $target not found." >&2
    case "$target" in
      linux-arm64) echo "  On Debian/Ubuntu: apt-get install gcc-aarch64-linux-gnu" >&2 ;;
      linux-x64) echo "  On Debian/Ubuntu: apt-get install gcc (or set CC_LINUX_X64=gcc)" >&2 ;;
      darwin-*) echo "  macOS libraries are built on macOS by .github/workflows/release.yml" >&2 ;;
    esac
    return 1
  fi
  mkdir -p "$out"

  # Go: -trimpath and an empty build id remove the two things that differ
  # between checkouts; -s -w drop symbols and DWARF the loader never needs.
  (cd "$here" && CGO_ENABLED=1 GOOS=$goos GOARCH=$goarch CC=$cc GOFLAGS=-mod=mod \
    go build -buildmode=c-shared -trimpath -buildvcs=false \
      -ldflags='-s -w -buildid=' \
      -o "$out/asherah-bun-warmup.$ext" ./warmup)
  rm -f "$out/asherah-bun-warmup.h"

  # The signal helpers exist for Linux only: JavaScriptCore suspends threads
  # with Mach calls on macOS, and src/platform.ts loads no helper there.
  [ "$goos" = linux ] || return 0
  # C: no build id, no absolute paths, stripped.
  (cd "$here/signals" && "$cc" -O2 -Wall -Wextra -Werror -fPIC -shared \
    -ffile-prefix-map="$here"=. -Wl,--build-id=none -s \
    -o "$out/asherah-bun-signals.$ext" ./*.c -ldl -lpthread)
}

# sha256sum on Linux, shasum on stock macOS (same output format).
if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum "$@"; }; else sha256() { shasum -a 256 "$@"; }; fi
export MACOSX_DEPLOYMENT_TARGET="${MACOSX_DEPLOYMENT_TARGET:-12.0}"

sums_of() { # folder → "sha256  <target>/<file>" lines, sorted
  (cd "$1" && find . -type f \( -name '*.so' -o -name '*.dylib' \) | sed 's|^\./||' | sort | while read -r f; do sha256 "$f"; done)
}

if [ "$check" = 1 ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for t in "${targets[@]}"; do build_one "$t" "$tmp/$t"; done
  status=0
  for t in "${targets[@]}"; do
    for f in "$tmp/$t"/*; do
      name=$(basename "$f")
      committed="$root/prebuilds/$t/$name"
      if [ ! -f "$committed" ]; then
        echo "prebuild check: $t/$name is not committed (run: bash go/build.sh $t)" >&2; status=1; continue
      fi
      if cmp -s "$f" "$committed"; then
        echo "prebuild check: $t/$name reproduces byte for byte ($(sha256 <"$f" | cut -c1-16)…)"
      else
        echo "prebuild check: $t/$name DIFFERS from a clean rebuild with Go $have:" >&2
        echo "  committed $(sha256 <"$committed" | cut -c1-64)" >&2
        echo "  rebuilt   $(sha256 <"$f" | cut -c1-64)" >&2
        status=1
      fi
    done
  done
  # The manifest must describe the committed files, or integrity checks at load time would fail.
  if ! (cd "$root/prebuilds" && sha256 -c SHA256SUMS >/dev/null); then
    echo "prebuild check: prebuilds/SHA256SUMS does not match the committed files (run: bash go/build.sh)" >&2
    status=1
  fi
  exit $status
fi

for t in "${targets[@]}"; do
  build_one "$t" "$root/prebuilds/$t"
  echo "built prebuilds/$t: $(cd "$root/prebuilds/$t" && for f in *; do printf '%s (%s bytes) ' "$f" "$(wc -c <"$f")"; done)"
done
sums_of "$root/prebuilds" >"$root/prebuilds/SHA256SUMS"
echo "wrote prebuilds/SHA256SUMS"
