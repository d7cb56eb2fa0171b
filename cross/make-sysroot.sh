#!/usr/bin/env bash
# Builds a Debian bookworm sysroot for cross-compiling EdgeLedger to a gateway architecture:
# libc, libstdc++/libgcc, kernel headers, libmosquitto, libssl (libcrypto), libsqlite3 and their
# pkg-config files, for the target's multiarch directories. No Docker, no emulation needed.
#
# Usage: cross/make-sysroot.sh [options] arm64|armhf
#   --out DIR           sysroot directory (default: .build-cross/sysroot-bookworm-ARCH)
#   --method M          debootstrap (default when root: `debootstrap --foreign` downloads the
#                       minbase set plus our packages and their dependencies, then every .deb is
#                       unpacked) or apt (no root: a private apt configuration downloads just our
#                       packages and their dependencies with `apt-get install --download-only`,
#                       then `dpkg-deb -x`)
#   --mirror URL        Debian mirror (default: the first URI of this machine's apt sources,
#                       else http://deb.debian.org/debian)
#   --suite NAME        Debian suite (default bookworm)
#   --force             rebuild even if DIR/.edge-ledger-sysroot says it is complete
#
# The result is idempotent: a complete sysroot is left alone unless --force. After unpacking,
# absolute symbolic links are made relative so the sysroot works wherever it is moved, and the
# merged-/usr links (lib -> usr/lib, ...) exist whatever the method.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)

packages=(libc6-dev libmosquitto-dev libssl-dev libsqlite3-dev libstdc++-12-dev linux-libc-dev libgcc-12-dev
    libatomic1 zlib1g-dev)

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

out="" method="" mirror="" suite=bookworm force=0 arch=""
while (($#)); do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --method) method=$2; shift 2 ;;
        --mirror) mirror=$2; shift 2 ;;
        --suite) suite=$2; shift 2 ;;
        --force) force=1; shift ;;
        -h | --help) usage; exit 0 ;;
        arm64 | armhf) arch=$1; shift ;;
        *) echo "make-sysroot: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
[ -n "$arch" ] || { usage >&2; exit 2; }
case "$arch" in
    arm64) triple=aarch64-linux-gnu ;;
    armhf) triple=arm-linux-gnueabihf ;;
esac
out=${out:-$repo/.build-cross/sysroot-$suite-$arch}
if [ -z "$method" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v debootstrap >/dev/null; then method=debootstrap; else method=apt; fi
fi
if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -n -e 's/^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}:[^ ]*\/debian\) .*/\2/p' \
            -e 's/^URIs: *\(https\{0,1\}:[^ ]*\/debian\)$/\1/p' | head -n 1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
stamp="$out/.edge-ledger-sysroot"
want="suite=$suite arch=$arch packages=${packages[*]}"

if [ "$force" -eq 0 ] && [ -f "$stamp" ] && [ "$(head -n 1 "$stamp")" = "$want" ]; then
    echo "make-sysroot: $out is complete ($want); --force rebuilds it"
    exit 0
fi

log() { echo "make-sysroot: $*" >&2; }
need() { command -v "$1" >/dev/null || { log "$1 is needed: apt-get install $2"; exit 1; }; }
need dpkg-deb dpkg
need tar tar
[ -f "$keyring" ] || { log "$keyring is missing: apt-get install debian-archive-keyring"; exit 1; }

rm -rf "$out"
mkdir -p "$out"
debs="$out/var/cache/apt/archives"

# Merged /usr, as bookworm installs it: packages that ship /lib/... land in /usr/lib/...
merge_usr() {
    mkdir -p "$out/usr/lib" "$out/usr/bin" "$out/usr/sbin"
    for d in lib bin sbin; do [ -L "$out/$d" ] || ln -sn "usr/$d" "$out/$d"; done
}

case "$method" in
    debootstrap)
        need debootstrap debootstrap
        [ "$(id -u)" -eq 0 ] || { log "--method debootstrap needs root; use --method apt"; exit 1; }
        log "debootstrap --foreign $suite $arch from $mirror (minbase + ${packages[*]})"
        include=$(IFS=,; echo "${packages[*]}")
        debootstrap --foreign --arch="$arch" --variant=minbase --merged-usr --keyring="$keyring" \
            --include="$include" "$suite" "$out" "$mirror" >"$out.debootstrap.log" 2>&1 || {
            log "debootstrap failed; the last lines of $out.debootstrap.log:"
            tail -n 20 "$out.debootstrap.log" >&2
            exit 1
        }
        ;;
    apt)
        need apt-get apt
        merge_usr
        aptdir="$out.apt"
        rm -rf "$aptdir"
        mkdir -p "$aptdir/etc/apt/sources.list.d" "$aptdir/etc/apt/preferences.d" "$aptdir/etc/apt/apt.conf.d" \
            "$aptdir/var/lib/apt/lists/partial" "$aptdir/var/cache/apt/archives/partial" "$aptdir/var/lib/dpkg" \
            "$aptdir/log"
        : >"$aptdir/var/lib/dpkg/status"
        echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$aptdir/etc/apt/sources.list"
        aptopts=(-o "Dir=$aptdir" -o "Dir::State::status=$aptdir/var/lib/dpkg/status"
            -o "Dir::Log=$aptdir/log" -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
            -o "APT::Install-Recommends=false" -o "APT::Sandbox::User=$(id -un)" -o "Debug::NoLocking=true")
        log "apt-get download $suite $arch from $mirror: ${packages[*]} and dependencies"
        apt-get "${aptopts[@]}" -qq update >"$out.apt.log" 2>&1 || {
            tail -n 20 "$out.apt.log" >&2
            exit 1
        }
        apt-get "${aptopts[@]}" -y -qq install --download-only "${packages[@]}" >>"$out.apt.log" 2>&1 || {
            tail -n 20 "$out.apt.log" >&2
            exit 1
        }
        mkdir -p "$debs"
        mv "$aptdir"/var/cache/apt/archives/*.deb "$debs/"
        ;;
    *) log "--method must be debootstrap or apt"; exit 2 ;;
esac

# Unpack every downloaded package (debootstrap's first stage unpacks only the required set).
merge_usr
count=0
: >"$out/.edge-ledger-packages"
for deb in "$debs"/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$out" -f -
    dpkg-deb -f "$deb" Package Version | paste -sd' ' >>"$out/.edge-ledger-packages"
    count=$((count + 1))
done
((count > 0)) || { log "no packages were downloaded"; exit 1; }

# Absolute symbolic links point at the build host once the sysroot is used with --sysroot:
# make each under usr/ and etc/ relative to its own directory inside the sysroot (links into
# /proc or /dev, which debootstrap makes in containers, are left alone).
while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case "$target" in
        /*)
            dir=$(dirname "${link#"$out"}")
            rel=$(realpath -m -s --relative-to="$dir" "$target")
            ln -sfn "$rel" "$link"
            ;;
    esac
done < <(find "$out/usr" "$out/etc" -type l -print0)

# What the linker and pkg-config need must be there.
missing=()
for f in "usr/include/mosquitto.h" "usr/include/openssl/evp.h" "usr/include/sqlite3.h" \
    "usr/include/$triple/openssl/opensslconf.h" "usr/lib/$triple/libmosquitto.so" "usr/lib/$triple/libcrypto.so" \
    "usr/lib/$triple/libsqlite3.so" "usr/lib/$triple/libc.so" "usr/lib/$triple/libstdc++.so.6" \
    "usr/lib/$triple/libatomic.so.1" "usr/lib/gcc/$triple/12/crtbegin.o" "usr/lib/gcc/$triple/12/libstdc++.so" \
    "usr/lib/$triple/pkgconfig/libmosquitto.pc" "usr/lib/$triple/pkgconfig/libcrypto.pc" \
    "usr/lib/$triple/pkgconfig/sqlite3.pc" "usr/include/linux/limits.h"; do
    [ -e "$out/$f" ] || missing+=("$f")
done
if ((${#missing[@]})); then
    log "the sysroot lacks: ${missing[*]}"
    exit 1
fi
# The unversioned libatomic.so link exists only in gcc's directory; -latomic must resolve anywhere.
[ -e "$out/usr/lib/$triple/libatomic.so" ] || ln -s libatomic.so.1 "$out/usr/lib/$triple/libatomic.so"

rm -rf "$debs"/*.deb "$out.apt"
{
    echo "$want"
    echo "method=$method mirror=$mirror"
    echo "triple=$triple"
    for p in libc6 libmosquitto1 libssl3 libsqlite3-0 libstdc++6; do
        echo "$p=$(sed -n "s/^Package: $p Version: //p" "$out/.edge-ledger-packages" | head -n 1)"
    done
} >"$stamp"
log "sysroot ready: $out ($count packages, $(du -sh "$out" | cut -f1))"
