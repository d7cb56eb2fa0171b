#!/usr/bin/env bash
# Installs EdgeLedger on a Debian/Ubuntu gateway as a systemd service. Idempotent: run it again
# to upgrade (a new binary replaces the old one, a running service is restarted) or to repair;
# a second run with the same inputs changes nothing. Never overwrites an operator's config.
#
# Usage: sudo scripts/install.sh [options]
#   --binary PATH   the edge-ledger executable to install (default: ./edge-ledger beside the
#                   scripts/ directory of a release, else .build/release/edge-ledger)
#   --prefix DIR    installation prefix (default /usr/local): PREFIX/bin/edge-ledger,
#                   PREFIX/libexec/edge-ledger/ensure-keys, PREFIX/share/{edge-ledger,doc/edge-ledger}
#   --upstream      also install the reference upstream: the edge-ledger-upstream executable
#                   (from beside --binary), edge-ledger-upstream.service and
#                   /etc/edge-ledger/upstream.toml (if absent)
#   --enable        enable the service(s) at boot and start them now
#   --no-apt        do not install the runtime packages (libmosquitto1 libssl3 libsqlite3-0 zlib1g libstdc++6
#                   ca-certificates)
#   --no-restart    do not restart a running service after its binary or unit changed
#   --uninstall     remove the binary, units, helper and docs; keep the configuration, keys
#                   (/etc/edge-ledger) and the store (/var/lib/edge-ledger)
#   --purge         with --uninstall: also delete /etc/edge-ledger, /var/lib/edge-ledger and
#                   the edge-ledger user. The ledger and its signing keys are gone for good.
#   -h, --help
# Environment: DESTDIR=DIR stages everything under DIR (for packaging and tests): no apt, no
# user creation, no chown, no systemctl.
#
# Layout: binary /usr/local/bin/edge-ledger; units /etc/systemd/system/; configuration and
# keys /etc/edge-ledger/ (edge-ledger.toml root:edge-ledger 0640, keys/ 0750, key files
# edge-ledger 0600); state /var/lib/edge-ledger/ (edge-ledger 0750); the service runs as the
# system user edge-ledger. Signing keys are created by ensure-keys: here, when the
# configuration's origin is set, otherwise at the service's first start (ExecStartPre=).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
user=edge-ledger
prefix=/usr/local
binary="" upstream=0 enable=0 apt=1 restart=1 uninstall=0 purge=0
destdir=${DESTDIR:-}
destdir=${destdir%/}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while (($#)); do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --prefix) prefix=${2%/}; shift 2 ;;
        --upstream) upstream=1; shift ;;
        --enable) enable=1; shift ;;
        --no-apt) apt=0; shift ;;
        --no-restart) restart=0; shift ;;
        --uninstall) uninstall=1; shift ;;
        --purge) purge=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "install: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ "$purge" -eq 1 ] && [ "$uninstall" -eq 0 ]; then
    echo "install: --purge only goes with --uninstall" >&2
    exit 2
fi

staged=0
[ -z "$destdir" ] || staged=1
if [ "$staged" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install: run as root (sudo $0 $*), or set DESTDIR to stage the files" >&2
    exit 1
fi

bindir=$prefix/bin
libexecdir=$prefix/libexec/edge-ledger
sharedir=$prefix/share/edge-ledger
docdir=$prefix/share/doc/edge-ledger
unitdir=/etc/systemd/system
confdir=/etc/edge-ledger
statedir=/var/lib/edge-ledger
D=$destdir

changes=()
say() { echo "install: $*"; }
changed() { changes+=("$1"); say "$1"; }
systemd_running() { [ "$staged" -eq 0 ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }
have_user() { [ "$staged" -eq 0 ] && getent passwd "$user" >/dev/null; }

# put SOURCE DEST MODE [OWNER:GROUP]: install a file only when its content differs; atomic
# replacement (a running binary keeps its old inode).
put() {
    local src=$1 dst=$D$2 mode=$3 owner=${4:-}
    mkdir -p "$(dirname "$dst")"
    if [ -f "$dst" ] && cmp -s "$src" "$dst"; then
        fix_mode "$2" "$mode" "$owner"
        return 1
    fi
    local tmp
    tmp=$(mktemp "$(dirname "$dst")/.install.XXXXXX")
    cat "$src" >"$tmp"
    chmod "$mode" "$tmp"
    [ -z "$owner" ] || ! have_user || chown "$owner" "$tmp"
    mv -f "$tmp" "$dst"
    changed "installed $2"
    return 0
}

# fix_mode PATH MODE [OWNER:GROUP]: set mode and owner when they differ (no change otherwise).
fix_mode() {
    local path=$D$1 mode=$2 owner=${3:-}
    if [ "$(stat -c %a "$path")" != "${mode#0}" ]; then
        chmod "$mode" "$path"
        changed "mode $mode on $1"
    fi
    if [ -n "$owner" ] && have_user && [ "$(stat -c %U:%G "$path")" != "$owner" ]; then
        chown "$owner" "$path"
        changed "owner $owner on $1"
    fi
}

# directory PATH MODE [OWNER:GROUP]
directory() {
    if [ ! -d "$D$1" ]; then
        mkdir -p "$D$1"
        chmod "$2" "$D$1"
        changed "created $1"
    fi
    fix_mode "$1" "$2" "${3:-}"
}

# remove PATH: delete a file or directory we installed.
remove() {
    case "$1" in /?*) ;; *) echo "install: refusing to remove '$1'" >&2; exit 1 ;; esac
    if [ -e "$D$1" ] || [ -L "$D$1" ]; then
        rm -rf -- "$D$1"
        changed "removed $1"
    fi
}

# The unit file for this prefix (the shipped units name /usr/local).
render_unit() {
    sed -e "s|/usr/local/bin/|$bindir/|g" -e "s|/usr/local/libexec/edge-ledger/|$libexecdir/|g" \
        -e "s|/usr/local/share/doc/edge-ledger/|$docdir/|g" "$1"
}

# ------------------------------------------------------------------------------ uninstall
if [ "$uninstall" -eq 1 ]; then
    if systemd_running; then
        for unit in edge-ledger.service edge-ledger-upstream.service; do
            if [ -f "$unitdir/$unit" ]; then
                systemctl disable --now "$unit" >/dev/null 2>&1 || true
                changed "stopped and disabled $unit"
            fi
        done
    fi
    remove "$unitdir/edge-ledger.service"
    remove "$unitdir/edge-ledger-upstream.service"
    remove "$bindir/edge-ledger"
    remove "$bindir/edge-ledger-upstream"
    remove "$libexecdir"
    remove "$sharedir"
    remove "$docdir"
    systemd_running && systemctl daemon-reload
    if [ "$purge" -eq 1 ]; then
        remove "$confdir"
        remove "$statedir"
        if have_user; then
            userdel "$user" >/dev/null 2>&1 || true
            if getent group "$user" >/dev/null; then groupdel "$user" >/dev/null 2>&1 || true; fi
            changed "removed user $user"
        fi
    else
        for kept in "$confdir" "$statedir"; do
            [ -e "$D$kept" ] && say "kept $kept (configuration, keys and data stay; --uninstall --purge deletes them)"
        done
    fi
    ((${#changes[@]})) || say "nothing to remove"
    exit 0
fi

# ------------------------------------------------------------------------------ install
if [ -z "$binary" ]; then
    for candidate in "$repo/edge-ledger" "$repo/.build/release/edge-ledger"; do
        if [ -x "$candidate" ] && [ -f "$candidate" ]; then binary=$candidate; break; fi
    done
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    echo "install: no edge-ledger binary${binary:+ at $binary}." >&2
    echo "install: build one: swift build -c release --static-swift-stdlib --product edge-ledger" >&2
    echo "install: (or cross/build.sh arm64|armhf for a gateway), or pass --binary PATH" >&2
    exit 1
fi
upstream_binary=$(dirname "$binary")/edge-ledger-upstream
if [ "$upstream" -eq 1 ] && [ ! -x "$upstream_binary" ]; then
    echo "install: --upstream needs the edge-ledger-upstream executable beside $binary" >&2
    echo "install: build it: swift build -c release --static-swift-stdlib --product edge-ledger-upstream" >&2
    exit 1
fi
for f in systemd/edge-ledger.service systemd/edge-ledger-upstream.service systemd/ensure-keys \
    Configs/edge-ledger.toml; do
    [ -f "$repo/$f" ] || { echo "install: $repo/$f is missing" >&2; exit 1; }
done

# Runtime libraries (the binary links the Swift runtime statically; these stay dynamic).
packages=(libmosquitto1 libssl3 libsqlite3-0 zlib1g libstdc++6 ca-certificates)
if [ "$apt" -eq 1 ] && [ "$staged" -eq 0 ]; then
    missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        changed "installed packages ${missing[*]}"
    fi
fi
if command -v ldd >/dev/null && ldd "$binary" >/dev/null 2>&1; then
    unresolved=$(ldd "$binary" | awk '/not found/ { print $1 }' | paste -sd ' ')
    if [ -n "$unresolved" ]; then
        echo "install: $binary needs libraries this machine lacks: $unresolved" >&2
        case "$unresolved" in
            *libswift* | *libFoundation* | *lib_Foundation*)
                echo "install: build with --static-swift-stdlib (the gateway has no Swift runtime)" >&2 ;;
            *) echo "install: install them, or drop --no-apt" >&2 ;;
        esac
        [ "$staged" -eq 1 ] || exit 1
    fi
fi

# The service user: a system account without a login shell or home of its own.
if [ "$staged" -eq 0 ] && ! getent passwd "$user" >/dev/null; then
    useradd --system --user-group --home-dir "$statedir" --no-create-home --shell /usr/sbin/nologin \
        --comment "EdgeLedger agent" "$user"
    changed "created system user $user"
fi

directory "$confdir" 0755 root:root
directory "$confdir/keys" 0750 "root:$user"
directory "$statedir" 0750 "$user:$user"

put "$binary" "$bindir/edge-ledger" 0755 root:root && binary_changed=1 || binary_changed=0
if [ "$upstream" -eq 1 ]; then
    put "$upstream_binary" "$bindir/edge-ledger-upstream" 0755 root:root && binary_changed=1
fi
put "$repo/systemd/ensure-keys" "$libexecdir/ensure-keys" 0755 root:root || true
put "$repo/Configs/edge-ledger.toml" "$sharedir/edge-ledger.toml.example" 0644 root:root || true
[ ! -f "$repo/Configs/upstream.toml" ] ||
    put "$repo/Configs/upstream.toml" "$sharedir/upstream.toml.example" 0644 root:root || true
for doc in README.md docs/OPERATIONS.md docs/CONFIGURATION.md docs/FORMAT.md; do
    [ ! -f "$repo/$doc" ] || put "$repo/$doc" "$docdir/$(basename "$doc")" 0644 root:root || true
done

units=(edge-ledger.service)
configs=(edge-ledger.toml)
[ "$upstream" -eq 0 ] || { units+=(edge-ledger-upstream.service); configs+=(upstream.toml); }
unit_changed=0
tmpunit=$(mktemp)
trap 'rm -f "$tmpunit"' EXIT
for unit in "${units[@]}"; do
    render_unit "$repo/systemd/$unit" >"$tmpunit"
    put "$tmpunit" "$unitdir/$unit" 0644 root:root && unit_changed=1
done

# The configuration: installed once, never overwritten (an upgrade leaves it alone; the new
# example is $sharedir/edge-ledger.toml.example to compare against).
new_config=()
for config in "${configs[@]}"; do
    if [ -e "$D$confdir/$config" ]; then
        fix_mode "$confdir/$config" 0640 "root:$user"
    else
        put "$repo/Configs/$config" "$confdir/$config" 0640 "root:$user" || true
        new_config+=("$config")
    fi
done

# Signing keys: created now when the configuration has its real origin; a freshly installed
# example keeps the example origin, so its keys wait for the first start (after editing).
example_origin=$(sed -n 's/^origin *= *"\([^"]*\)".*/\1/p' "$repo/Configs/edge-ledger.toml" | head -n 1)
ensure=("$D$libexecdir/ensure-keys" --edge-ledger "$bindir/edge-ledger")
[ "$staged" -eq 1 ] && ensure+=(--root "$D") || ensure+=(--user "$user")
for config in "${configs[@]}"; do
    origin=$(sed -n 's/^origin *= *"\([^"]*\)".*/\1/p' "$D$confdir/$config" | head -n 1)
    if [ "$config" = edge-ledger.toml ] && [ "$origin" = "$example_origin" ]; then
        say "$confdir/$config still has the example origin $origin: set identity.origin,"
        say "  mqtt.client_id and [[mqtt.topics]], then start the service; its signing key is"
        say "  created at first start and its verifier key printed to the journal"
        continue
    fi
    # Creates what is missing; prints every configured key's verifier key (an upstream needs them).
    output=$("${ensure[@]}" --print "$confdir/$config") || { echo "$output" >&2; exit 1; }
    [ -z "$output" ] || echo "$output"
    if grep -q "^ensure-keys: created" <<<"$output"; then
        changed "created signing keys for $confdir/$config"
    fi
done

if systemd_running; then
    systemctl daemon-reload
    for unit in "${units[@]}"; do
        if systemctl is-active --quiet "$unit"; then
            if [ "$restart" -eq 1 ] && { [ "$binary_changed" -eq 1 ] || [ "$unit_changed" -eq 1 ]; }; then
                systemctl restart "$unit"
                changed "restarted $unit"
            fi
        elif [ "$enable" -eq 1 ]; then
            systemctl enable --now "$unit"
            changed "enabled and started $unit"
        fi
    done
elif [ "$staged" -eq 0 ]; then
    say "systemd is not running here: start the agent with $bindir/edge-ledger run --config $confdir/edge-ledger.toml"
fi

if ((${#changes[@]} == 0)); then
    say "nothing changed: EdgeLedger is installed and up to date"
else
    say "done (${#changes[@]} changes)"
fi
if ((${#new_config[@]})) || [ "$enable" -eq 0 ]; then
    cat <<EOF
next steps:
  edit $confdir/edge-ledger.toml, then check it:  sudo -u $user $bindir/edge-ledger check-config $confdir/edge-ledger.toml
  start at boot and now:                         sudo systemctl enable --now edge-ledger
  watch it:                                      systemctl status edge-ledger; journalctl -u edge-ledger -f
  what it holds:                                 sudo -u $user $bindir/edge-ledger status --config $confdir/edge-ledger.toml
EOF
fi
