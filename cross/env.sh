# shellcheck shell=bash disable=SC2034,SC2317
# Cross-build environment for one gateway architecture. Source it: `source cross/env.sh arm64`.
# Used by check.sh, build.sh and make-sdk.sh so that all three agree on triples and paths.
#
# Sets: CROSS_ARCH, MULTIARCH (Debian multiarch dir), CLANG_TARGET, SWIFT_TRIPLE, SYSROOT,
# QEMU, ELF_MACHINE, CROSS_CFLAGS / CROSS_LDFLAGS / CROSS_LIBS (bash arrays), and exports
# PKG_CONFIG_SYSROOT_DIR, PKG_CONFIG_LIBDIR and PKG_CONFIG_PATH so that pkg-config (and
# SwiftPM's pkg-config support) finds only the target's .pc files and prefixes their -I/-L
# paths with the sysroot. SYSROOT is $EDGE_LEDGER_SYSROOT when set, else
# .build-cross/sysroot-bookworm-ARCH (never one left over from sourcing it for another ARCH).

cross_env_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CROSS_ARCH=${1:?usage: source cross/env.sh arm64|armhf}
case "$CROSS_ARCH" in
    arm64)
        MULTIARCH=aarch64-linux-gnu
        CLANG_TARGET=aarch64-unknown-linux-gnu
        SWIFT_TRIPLE=aarch64-unknown-linux-gnu
        QEMU=qemu-aarch64-static
        ELF_MACHINE=aarch64
        cross_arch_flags=()
        CROSS_LIBS=()
        ;;
    armhf)
        MULTIARCH=arm-linux-gnueabihf
        CLANG_TARGET=armv7-unknown-linux-gnueabihf
        SWIFT_TRIPLE=armv7-unknown-linux-gnueabihf
        QEMU=qemu-arm-static
        ELF_MACHINE=arm
        # Debian armhf's baseline: ARMv7-A, Thumb-2, VFPv3-D16, hard-float calling convention.
        cross_arch_flags=(-march=armv7-a -mthumb -mfpu=vfpv3-d16 -mfloat-abi=hard)
        # 32-bit ARM: 64-bit atomics the compiler does not inline go through libatomic.
        CROSS_LIBS=(-latomic)
        ;;
    *)
        echo "cross/env.sh: unknown architecture $CROSS_ARCH (arm64 or armhf)" >&2
        return 2 2>/dev/null || exit 2
        ;;
esac
SYSROOT=${EDGE_LEDGER_SYSROOT:-$cross_env_repo/.build-cross/sysroot-bookworm-$CROSS_ARCH}
CROSS_CFLAGS=(--target="$CLANG_TARGET" --sysroot="$SYSROOT" "${cross_arch_flags[@]}")
CROSS_LDFLAGS=(-fuse-ld=lld)
export PKG_CONFIG_SYSROOT_DIR=$SYSROOT
export PKG_CONFIG_LIBDIR=$SYSROOT/usr/lib/$MULTIARCH/pkgconfig:$SYSROOT/usr/share/pkgconfig
export PKG_CONFIG_PATH=$PKG_CONFIG_LIBDIR
unset cross_env_repo cross_arch_flags
