#!/usr/bin/env bash
# Cross-builds the edge-ledger executable for a gateway with an installed Swift SDK bundle
# (cross/make-sdk.sh, then `swift sdk install`): release mode, Swift runtime linked statically,
# stripped copy beside it.
#
# Usage: cross/build.sh arm64|armhf [--sdk ID] [extra `swift build` arguments]
#   --sdk ID   the installed Swift SDK (default edge-ledger-bookworm-ARCH; see `swift sdk list`)
# Output: .build-cross/build-ARCH/release/edge-ledger and .build-cross/edge-ledger-ARCH (stripped).
#
# pkg-config must see the target's libraries, never the build host's: PKG_CONFIG_SYSROOT_DIR,
# PKG_CONFIG_LIBDIR and PKG_CONFIG_PATH point into the SDK's sysroot (cross/env.sh), so the
# system-library targets (CMosquitto, COpenSSL, CSQLite) get -I/-L flags inside it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
arch=${1:-}
case "$arch" in
    arm64 | armhf) shift ;;
    -h | --help | "") awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; [ -n "$arch" ]; exit $? ;;
    *) echo "build: first argument must be arm64 or armhf" >&2; exit 2 ;;
esac
sdk="edge-ledger-bookworm-$arch"
if [ "${1:-}" = --sdk ]; then
    sdk=$2
    shift 2
fi

# Use the installed SDK's own sysroot for pkg-config when swift can tell us where it is.
# shellcheck source=cross/env.sh
source "$here/env.sh" "$arch"
if ! swift sdk list 2>/dev/null | grep -qx "$sdk"; then
    echo "build: Swift SDK $sdk is not installed." >&2
    echo "build: make it with cross/make-sysroot.sh $arch && cross/make-sdk.sh $arch --swift-runtime DIR," >&2
    echo "build: then swift sdk install .build-cross/$sdk.artifactbundle (see cross/README.md)" >&2
    exit 1
fi
sdk_root=$(swift sdk configure --show-configuration "$sdk" "$SWIFT_TRIPLE" 2>/dev/null |
    sed -n 's/^sdkRootPath: //p' | head -n 1)
if [ -n "$sdk_root" ] && [ -d "$sdk_root" ]; then
    EDGE_LEDGER_SYSROOT=$sdk_root
    # shellcheck source=cross/env.sh
    source "$here/env.sh" "$arch"
fi
echo "build: $SWIFT_TRIPLE with SDK $sdk (sysroot $SYSROOT)" >&2

scratch="$repo/.build-cross/build-$arch"
cd "$repo"
swift build -c release --swift-sdk "$sdk" --static-swift-stdlib --product edge-ledger --scratch-path "$scratch" "$@"

binary="$scratch/release/edge-ledger"
stripped="$repo/.build-cross/edge-ledger-$arch"
swift_bin=$(dirname "$(readlink -f "$(command -v swift)")")
strip=$(command -v llvm-strip || echo "$swift_bin/llvm-strip")
[ -x "$strip" ] || strip=$(command -v llvm-objcopy || echo "$swift_bin/llvm-objcopy")
cp "$binary" "$stripped"
"$strip" --strip-all "$stripped" 2>/dev/null || "$strip" --strip-all "$stripped"
echo "build: $binary ($(du -h "$binary" | cut -f1)), stripped: $stripped ($(du -h "$stripped" | cut -f1))"
if command -v "$QEMU" >/dev/null; then
    echo "build: smoke test under $QEMU:" >&2
    "$QEMU" -L "$SYSROOT" "$stripped" version || echo "build: (the smoke test failed; see above)" >&2
fi
