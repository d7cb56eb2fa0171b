#!/usr/bin/env bash
# What can be proven about cross-building EdgeLedger on an x86_64 machine without a Swift
# runtime for the target. For each architecture given (default: arm64 armhf):
#
#   1. sysroot     cross/make-sysroot.sh ARCH (Debian bookworm; reused when complete)
#   2. pkg-config  the target's libmosquitto, libcrypto, sqlite3 resolve inside the sysroot,
#                  exactly as `swift build` resolves the system-library targets (cross/env.sh)
#   3. link        clang --target=TRIPLE --sysroot compiles and links cross/probe (C + C++)
#                  against the target's libmosquitto, libcrypto, libsqlite3, libstdc++, libgcc_s
#   4. elf         the probe is an ELF for the target machine, with the target's dynamic loader
#   5. run         qemu-ARCH-static -L SYSROOT runs it: library versions, SHA-256 and SM3
#                  vectors, Ed25519 sign/verify, an SQLite round trip, C++ exceptions and threads
#   6. modules     clang -fmodules -fsyntax-only type-checks Sources/C*/module.modulemap (the
#                  Swift importer's view of the C libraries) against the sysroot
#   7. sdk         the Swift SDK templates render to valid JSON for the target (make-sdk.sh)
#
# Usage: cross/check.sh [--keep] [arm64] [armhf]
#   --keep   keep the work directory with the probe binaries (.build-cross/check-ARCH)
# Environment: CLANG (default: clang next to swift, else clang on PATH), MAKE_SYSROOT_ARGS
# (extra arguments for make-sysroot.sh, e.g. "--method apt").
# Exit status 0 only when every step passed for every architecture.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
keep=0
arches=()
for arg in "$@"; do
    case "$arg" in
        --keep) keep=1 ;;
        arm64 | armhf) arches+=("$arg") ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "check: unknown argument $arg" >&2; exit 2 ;;
    esac
done
((${#arches[@]})) || arches=(arm64 armhf)

if [ -z "${CLANG:-}" ]; then
    swift_bin=$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /nonexistent)")")
    if [ -x "$swift_bin/clang" ]; then CLANG=$swift_bin/clang; else CLANG=$(command -v clang || true); fi
fi
if [ -z "$CLANG" ] || [ ! -x "$CLANG" ]; then
    echo "check: clang not found; set CLANG" >&2
    exit 1
fi
CLANGXX=${CLANGXX:-$(dirname "$CLANG")/clang++}
[ -x "$CLANGXX" ] || CLANGXX=$CLANG
command -v pkg-config >/dev/null || { echo "check: pkg-config is needed (apt-get install pkg-config)" >&2; exit 1; }
readelf=$(command -v llvm-readelf || echo "$(dirname "$CLANG")/llvm-readelf")
[ -x "$readelf" ] || readelf=$(command -v readelf || true)

results=()
failed=0
record() { # arch step status detail
    results+=("$(printf '%-6s %-10s %-4s %s' "$1" "$2" "$3" "$4")")
    [ "$3" != FAIL ] || failed=1
    printf 'check: %-6s %-10s %-4s %s\n' "$1" "$2" "$3" "$4" >&2
}

for arch in "${arches[@]}"; do
    # shellcheck source=cross/env.sh
    source "$here/env.sh" "$arch"
    work="$repo/.build-cross/check-$arch"
    rm -rf "$work"
    mkdir -p "$work"

    # 1. sysroot
    # shellcheck disable=SC2086
    if "$here/make-sysroot.sh" ${MAKE_SYSROOT_ARGS:-} --out "$SYSROOT" "$arch" >"$work/sysroot.log" 2>&1; then
        record "$arch" sysroot PASS "$SYSROOT ($(sed -n 's/^libc6=/glibc /p' "$SYSROOT/.edge-ledger-sysroot"))"
    else
        record "$arch" sysroot FAIL "see $work/sysroot.log"
        tail -n 20 "$work/sysroot.log" >&2
        continue
    fi

    # 2. pkg-config inside the sysroot
    if cflags=$(pkg-config --cflags libmosquitto libcrypto sqlite3 2>"$work/pkg-config.log") &&
        libs=$(pkg-config --libs libmosquitto libcrypto sqlite3 2>>"$work/pkg-config.log") &&
        leaks=$(for flag in $cflags $libs; do
            case "$flag" in -I* | -L*) case "${flag:2}" in "$SYSROOT"/*) ;; *) echo "$flag" ;; esac ;; esac
        done) && [ -z "$leaks" ] && [ -e "$SYSROOT/usr/lib/$MULTIARCH/libcrypto.so" ]; then
        record "$arch" pkg-config PASS "only sysroot paths; cflags: ${cflags:-none}; libs: $libs"
    else
        record "$arch" pkg-config FAIL "$(tr '\n' ' ' <"$work/pkg-config.log") host paths: ${leaks:-?}"
        continue
    fi

    # 3. compile and link the probe
    # shellcheck disable=SC2086
    if "$CLANG" "${CROSS_CFLAGS[@]}" -std=c11 -O2 -Wall -Werror $cflags -c "$here/probe/probe.c" \
        -o "$work/probe.o" 2>"$work/link.log" &&
        "$CLANGXX" "${CROSS_CFLAGS[@]}" -std=c++17 -O2 -Wall -Werror -c "$here/probe/probe_cxx.cpp" \
            -o "$work/probe_cxx.o" 2>>"$work/link.log" &&
        "$CLANGXX" "${CROSS_CFLAGS[@]}" "${CROSS_LDFLAGS[@]}" "$work/probe.o" "$work/probe_cxx.o" $libs \
            -lpthread ${CROSS_LIBS[@]+"${CROSS_LIBS[@]}"} -o "$work/probe" 2>>"$work/link.log"; then
        record "$arch" link PASS "$CLANG --target=$CLANG_TARGET --sysroot, lld; $(wc -c <"$work/probe") bytes"
    else
        record "$arch" link FAIL "$(head -c 600 "$work/link.log" | tr '\n' ' ')"
        continue
    fi

    # 4. the binary is for the target
    if [ -n "$readelf" ]; then
        machine=$("$readelf" -h "$work/probe" | sed -n 's/^ *Machine: *//p')
        interp=$("$readelf" -l "$work/probe" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
        needed=$("$readelf" -d "$work/probe" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')
        case "$(echo "$machine" | tr '[:upper:]' '[:lower:]')" in
            *"$ELF_MACHINE"*) record "$arch" elf PASS "$machine, interpreter $interp, needs $needed" ;;
            *) record "$arch" elf FAIL "machine '$machine', expected $ELF_MACHINE" ;;
        esac
    else
        record "$arch" elf SKIP "no readelf"
    fi

    # 5. run it under user-mode emulation
    if ! command -v "$QEMU" >/dev/null; then
        record "$arch" run FAIL "$QEMU not found (apt-get install qemu-user-static)"
    elif "$QEMU" -L "$SYSROOT" "$work/probe" >"$work/run.log" 2>&1 && grep -qx "probe ok" "$work/run.log"; then
        record "$arch" run PASS "$(grep -v '^probe ok$' "$work/run.log" | paste -sd ';' | sed 's/;/; /g')"
    else
        record "$arch" run FAIL "$(tr '\n' ' ' <"$work/run.log")"
    fi

    # 6. the project's module maps, as the Swift importer sees them
    modflags=(-fmodules -fsyntax-only -Werror -fmodules-cache-path="$work/module-cache")
    for m in CMosquitto COpenSSL CSQLite; do
        modflags+=(-fmodule-map-file="$repo/Sources/$m/module.modulemap" -I "$repo/Sources/$m")
    done
    # shellcheck disable=SC2086
    if "$CLANG" "${CROSS_CFLAGS[@]}" $cflags "${modflags[@]}" "$here/probe/modules.c" 2>"$work/modules.log"; then
        record "$arch" modules PASS "CMosquitto, COpenSSL, CSQLite import cleanly for $CLANG_TARGET"
    else
        record "$arch" modules FAIL "$(head -c 600 "$work/modules.log" | tr '\n' ' ')"
    fi

    # 7. the Swift SDK bundle templates
    if "$here/make-sdk.sh" --check "$arch" >"$work/sdk.log" 2>&1; then
        record "$arch" sdk PASS "$(tail -n 1 "$work/sdk.log")"
    else
        record "$arch" sdk FAIL "$(tail -n 5 "$work/sdk.log" | tr '\n' ' ')"
    fi

    [ "$keep" -eq 1 ] || rm -rf "$work/module-cache" "$work"/*.o
done

echo
echo "cross/check.sh results ($(date -u +%Y-%m-%dT%H:%M:%SZ), $("$CLANG" --version | head -n 1))"
printf '%s\n' "${results[@]}"
if [ "$failed" -eq 0 ]; then
    echo "check: every step passed for ${arches[*]}"
else
    echo "check: FAILED" >&2
fi
exit "$failed"
