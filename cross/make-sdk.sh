#!/usr/bin/env bash
# Assembles a Swift SDK bundle (SE-0387 .artifactbundle) for cross-building EdgeLedger to a
# Debian bookworm gateway, from the sysroot of make-sysroot.sh plus a Swift runtime for the
# target that you provide:
#   arm64: the swift.org toolchain for Debian 12 aarch64 (swift-X-RELEASE-debian12-aarch64.tar.gz),
#          unpacked; pass the directory that contains usr/
#   armhf: a community armv7 build of the same Swift version (e.g. from swift-armv7 releases),
#          unpacked the same way
# The runtime's Swift version must equal the host compiler's (`swift --version`) exactly.
#
# Usage:
#   cross/make-sdk.sh ARCH --swift-runtime DIR [--out DIR] [--version V] [--archive]
#       writes OUT/edge-ledger-bookworm-ARCH.artifactbundle (default OUT: .build-cross);
#       then: swift sdk install OUT/edge-ledger-bookworm-ARCH.artifactbundle
#   cross/make-sdk.sh --check ARCH
#       renders the templates (cross/sdk/*.json.in) for ARCH, validates the JSON, and has
#       `swift sdk install` accept a bundle of them (sysroot linked, no runtime) in a private
#       SDK directory; nothing is installed for the user.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
check=0 arch="" runtime="" out="$repo/.build-cross" version="" archive=0
while (($#)); do
    case "$1" in
        --check) check=1; shift ;;
        --swift-runtime) runtime=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --version) version=$2; shift 2 ;;
        --archive) archive=1; shift ;;
        arm64 | armhf) arch=$1; shift ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "make-sdk: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$arch" ] || { echo "make-sdk: give arm64 or armhf" >&2; exit 2; }
# shellcheck source=cross/env.sh
source "$here/env.sh" "$arch"
log() { echo "make-sdk: $*" >&2; }

host_swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9][0-9.]*\).*/\1/p' | head -n 1)
version=${version:-${host_swift_version:-0.0.0}}
artifact="edge-ledger-bookworm-$arch"

case "$arch" in
    arm64)
        swift_extra=""
        c_extra=""
        ;;
    armhf)
        swift_extra=', "-latomic"'
        c_extra='"-march=armv7-a", "-mthumb", "-mfpu=vfpv3-d16", "-mfloat-abi=hard"'
        ;;
esac

# render TEMPLATE DEST
render() {
    local cxx_extra="" c_compiler=""
    if [ -n "$c_extra" ]; then
        cxx_extra=", $c_extra"
        c_compiler="\n  \"cCompiler\": {\n    \"extraCLIOptions\": [$c_extra]\n  },"
    fi
    sed -e "s|@ARTIFACT_ID@|$artifact|g" -e "s|@VERSION@|$version|g" -e "s|@SWIFT_TRIPLE@|$SWIFT_TRIPLE|g" \
        -e "s|@SWIFT_EXTRA_OPTIONS@|$swift_extra|g" -e "s|@C_COMPILER@|$c_compiler|g" \
        -e "s|@CXX_EXTRA_OPTIONS@|$cxx_extra|g" "$1" >"$2"
    if command -v jq >/dev/null; then
        jq -e . "$2" >/dev/null || { log "$2 is not valid JSON"; return 1; }
    elif command -v python3 >/dev/null; then
        python3 -m json.tool "$2" >/dev/null || { log "$2 is not valid JSON"; return 1; }
    fi
}

# layout BUNDLE: the bundle's JSON files; prints the variant directory
layout() {
    local bundle=$1 variant="$1/$artifact/$SWIFT_TRIPLE"
    mkdir -p "$variant"
    render "$here/sdk/info.json.in" "$bundle/info.json"
    render "$here/sdk/swift-sdk.json.in" "$variant/swift-sdk.json"
    render "$here/sdk/toolset.json.in" "$variant/toolset.json"
    echo "$variant"
}

if [ "$check" -eq 1 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    bundle="$tmp/$artifact.artifactbundle"
    variant=$(layout "$bundle")
    [ -d "$SYSROOT" ] || { log "no sysroot at $SYSROOT: run cross/make-sysroot.sh $arch"; exit 1; }
    ln -s "$SYSROOT" "$variant/debian-bookworm.sdk"
    if command -v swift >/dev/null; then
        mkdir -p "$tmp/sdks"
        swift sdk install "$bundle" --swift-sdks-path "$tmp/sdks" >"$tmp/install.log" 2>&1 || {
            cat "$tmp/install.log" >&2
            exit 1
        }
        swift sdk list --swift-sdks-path "$tmp/sdks" 2>/dev/null | grep -qx "$artifact" || {
            log "swift sdk list does not show $artifact"
            exit 1
        }
        config=$(swift sdk configure --show-configuration --swift-sdks-path "$tmp/sdks" "$artifact" \
            "$SWIFT_TRIPLE" 2>&1) || { echo "$config" >&2; exit 1; }
        echo "$config" | grep -q "sdkRootPath: .*debian-bookworm.sdk" || {
            echo "$config" >&2
            log "the installed SDK does not point at its sysroot"
            exit 1
        }
        echo "templates valid; swift sdk install accepts $artifact for $SWIFT_TRIPLE (Swift $version)"
    else
        echo "templates valid for $SWIFT_TRIPLE (swift not on PATH: install not tried)"
    fi
    exit 0
fi

[ -n "$runtime" ] || { log "--swift-runtime DIR is required (a Swift toolchain for $SWIFT_TRIPLE, unpacked)"; exit 2; }
[ -d "$SYSROOT" ] || { log "no sysroot at $SYSROOT: run cross/make-sysroot.sh $arch"; exit 1; }
case "$arch" in arm64) rt_arch=aarch64 ;; armhf) rt_arch=armv7 ;; esac
[ -d "$runtime/usr" ] || { [ -d "$runtime/lib/swift" ] && runtime=$(dirname "$runtime"); }
for f in "usr/lib/swift/linux/$rt_arch" "usr/lib/swift_static/linux/static-stdlib-args.lnk" \
    "usr/lib/swift_static/linux/libswiftCore.a"; do
    [ -e "$runtime/$f" ] || { log "$runtime/$f is missing: not a Swift runtime for $rt_arch"; exit 1; }
done
if command -v llvm-readelf >/dev/null || [ -x "$(dirname "$(readlink -f "$(command -v swift)")")/llvm-readelf" ]; then
    readelf=$(command -v llvm-readelf || echo "$(dirname "$(readlink -f "$(command -v swift)")")/llvm-readelf")
    machine=$("$readelf" -h "$runtime/usr/lib/swift/linux/libswiftCore.so" 2>/dev/null |
        sed -n 's/^ *Machine: *//p' | tr '[:upper:]' '[:lower:]')
    case "$machine" in
        *"$ELF_MACHINE"*) ;;
        *) log "libswiftCore.so in $runtime is for '$machine', not $ELF_MACHINE"; exit 1 ;;
    esac
fi

bundle="$out/$artifact.artifactbundle"
rm -rf "$bundle"
variant=$(layout "$bundle")
sdk="$variant/debian-bookworm.sdk"
log "copying the sysroot $SYSROOT (usr/ and the merged-/usr links)"
mkdir -p "$sdk"
# Only what compiling and linking need: no /dev nodes (SwiftPM cannot copy them), /var, /etc,
# documentation or translations.
tar -C "$SYSROOT" --exclude=./usr/share/doc --exclude=./usr/share/man --exclude=./usr/share/info \
    --exclude=./usr/share/locale -cf - ./usr | tar -C "$sdk" -xf -
for link in lib lib64 bin sbin; do
    [ ! -L "$SYSROOT/$link" ] || cp -P "$SYSROOT/$link" "$sdk/$link"
done
log "copying the Swift runtime from $runtime"
mkdir -p "$sdk/usr/lib"
cp -a "$runtime/usr/lib/swift" "$runtime/usr/lib/swift_static" "$sdk/usr/lib/"
# usr/lib/swift/clang links to the Clang resource directory (builtin headers).
[ -d "$runtime/usr/lib/clang" ] && cp -a "$runtime/usr/lib/clang" "$sdk/usr/lib/"
# Host executables and other platforms' files in the runtime are not needed to cross-compile.
rm -rf "$sdk/usr/lib/swift/pm" "$sdk/usr/lib/swift/macosx" "$sdk/usr/lib/swift/embedded"
if [ "$archive" -eq 1 ]; then
    tar -C "$out" -czf "$bundle.tar.gz" "$(basename "$bundle")"
    log "wrote $bundle.tar.gz"
fi
log "wrote $bundle ($(du -sh "$bundle" | cut -f1))"
echo "install it with: swift sdk install $bundle"
echo "then build with: cross/build.sh $arch"
