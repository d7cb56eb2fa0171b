#!/usr/bin/env bash
# Tests scripts/install.sh in a throwaway root (DESTDIR): the layout and modes it installs,
# that a second run changes nothing, that an operator's configuration is never overwritten,
# that signing keys are created once the origin is set (and load), that upgrades replace the
# binary, that --uninstall keeps configuration, keys and data and --purge removes them, that
# --prefix is honoured, and that the installed unit passes `systemd-analyze verify` with an
# exposure score of at most 2.0 (systemd/check-units.sh).
#
# Usage: scripts/test-install.sh [--binary PATH] [--keep]
#   --binary PATH  the edge-ledger to install (default: $EDGE_LEDGER_BIN, .build/release/edge-ledger,
#                  .build/debug/edge-ledger; build one first)
#   --keep         keep the throwaway root and print its path
# Needs no root and changes nothing outside a temporary directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
binary=${EDGE_LEDGER_BIN:-}
keep=0
while (($#)); do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "test-install: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    for candidate in "$repo/.build/release/edge-ledger" "$repo/.build/debug/edge-ledger"; do
        [ -x "$candidate" ] && { binary=$candidate; break; }
    done
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
    echo "test-install: no edge-ledger binary; build it (swift build --product edge-ledger) or pass --binary" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-install-test.XXXXXX")
root=$work/root
cleanup() {
    if [ "$keep" -eq 1 ]; then echo "test-install: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }
check() { # description command...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
mode_is() { [ "$(stat -c %a "$root$1")" = "$2" ]; }
install_() { DESTDIR=$root "$repo/scripts/install.sh" --no-apt --binary "$binary" "$@"; }
snapshot() { (cd "$root" && find . -printf '%p %y %m %s %T@\n' | sort && find . -type f -exec sha256sum {} + | sort); }

echo "test-install: $binary into $root"

echo "first install"
install_ >"$work/run1.log" 2>&1 || { cat "$work/run1.log"; fail "install.sh exits 0"; exit 1; }
ok "install.sh exits 0"
check "binary /usr/local/bin/edge-ledger, mode 755" mode_is /usr/local/bin/edge-ledger 755
check "the installed binary runs" "$root/usr/local/bin/edge-ledger" version
check "unit /etc/systemd/system/edge-ledger.service, mode 644" mode_is /etc/systemd/system/edge-ledger.service 644
check "no upstream unit without --upstream" test ! -e "$root/etc/systemd/system/edge-ledger-upstream.service"
check "no upstream binary without --upstream" test ! -e "$root/usr/local/bin/edge-ledger-upstream"
check "ensure-keys helper, mode 755" mode_is /usr/local/libexec/edge-ledger/ensure-keys 755
check "config installed from Configs/, mode 640" mode_is /etc/edge-ledger/edge-ledger.toml 640
check "config is the annotated example" cmp -s "$repo/Configs/edge-ledger.toml" "$root/etc/edge-ledger/edge-ledger.toml"
check "keys directory, mode 750" mode_is /etc/edge-ledger/keys 750
check "state directory /var/lib/edge-ledger, mode 750" mode_is /var/lib/edge-ledger 750
check "example kept for upgrades" test -f "$root/usr/local/share/edge-ledger/edge-ledger.toml.example"
check "no key for the example origin" test ! -e "$root/etc/edge-ledger/keys/ed25519.key"
check "says the origin must be set first" grep -q "still has the example origin" "$work/run1.log"

if command -v systemd-analyze >/dev/null; then
    if "$repo/systemd/check-units.sh" --root "$root" edge-ledger.service >"$work/verify.log" 2>&1; then
        ok "installed unit: $(sed -n 's/^check-units: //p' "$work/verify.log" | paste -sd ';' | sed 's/;/; /g')"
    else
        fail "installed unit: $(tr '\n' ' ' <"$work/verify.log")"
    fi
else
    echo "  skip  systemd-analyze verify (systemd not installed)"
fi

echo "second run"
snapshot >"$work/before"
install_ >"$work/run2.log" 2>&1 || fail "second run exits 0"
snapshot >"$work/after"
check "second run says nothing changed" grep -q "nothing changed" "$work/run2.log"
if cmp -s "$work/before" "$work/after"; then ok "second run changed no file, mode or time"; else
    fail "second run changed: $(diff "$work/before" "$work/after" | head -n 6 | tr '\n' ' ')"
fi

echo "operator sets the origin"
sed -i -e 's|^origin = ".*"|origin = "test.example/plant-1/gw-7"|' "$root/etc/edge-ledger/edge-ledger.toml"
edited=$(sha256sum <"$root/etc/edge-ledger/edge-ledger.toml")
install_ >"$work/run3.log" 2>&1 || { cat "$work/run3.log"; fail "install after editing exits 0"; }
check "edited config not overwritten" test "$edited" = "$(sha256sum <"$root/etc/edge-ledger/edge-ledger.toml")"
check "signing key created, mode 600" mode_is /etc/edge-ledger/keys/ed25519.key 600
check "verifier key file written" test -s "$root/etc/edge-ledger/keys/ed25519.pub"
check "verifier key printed, named after the origin" grep -q "verifier key.*: test.example/plant-1/gw-7+" "$work/run3.log"
# The key and config load as the agent would load them (check-config also derives the key).
if "$root/usr/local/bin/edge-ledger" check-config "$root/etc/edge-ledger/edge-ledger.toml" >"$work/check.log" 2>&1; then
    ok "check-config accepts the installed config and key"
    if grep -q "$(cut -d+ -f2 "$root/etc/edge-ledger/keys/ed25519.pub")" "$work/check.log"; then
        ok "the printed verifier key is the key's"
    else
        fail "check-config shows another verifier key: $(tr '\n' ' ' <"$work/check.log")"
    fi
else
    fail "check-config: $(tr '\n' ' ' <"$work/check.log")"
fi
key=$(sha256sum <"$root/etc/edge-ledger/keys/ed25519.key")
snapshot >"$work/before"
install_ >"$work/run4.log" 2>&1 || fail "fourth run exits 0"
snapshot >"$work/after"
check "with keys present, nothing changes" cmp -s "$work/before" "$work/after"
check "the key is never replaced" test "$key" = "$(sha256sum <"$root/etc/edge-ledger/keys/ed25519.key")"
check "the verifier key is printed again" grep -q "verifier key.*test.example/plant-1/gw-7+" "$work/run4.log"

echo "upgrade"
cp "$binary" "$work/edge-ledger-new"
printf '\0' >>"$work/edge-ledger-new" # a different file that still runs
install_ --binary "$work/edge-ledger-new" >"$work/run5.log" 2>&1 || fail "upgrade exits 0"
check "upgrade replaces the binary" cmp -s "$work/edge-ledger-new" "$root/usr/local/bin/edge-ledger"
check "upgrade reports it" grep -q "installed /usr/local/bin/edge-ledger" "$work/run5.log"
check "upgrade keeps the config" test "$edited" = "$(sha256sum <"$root/etc/edge-ledger/edge-ledger.toml")"

echo "uninstall"
printf 'ledger' >"$root/var/lib/edge-ledger/ledger.db"
DESTDIR=$root "$repo/scripts/install.sh" --uninstall >"$work/run6.log" 2>&1 || fail "uninstall exits 0"
check "binary removed" test ! -e "$root/usr/local/bin/edge-ledger"
check "unit removed" test ! -e "$root/etc/systemd/system/edge-ledger.service"
check "helper removed" test ! -e "$root/usr/local/libexec/edge-ledger"
check "config kept" test "$edited" = "$(sha256sum <"$root/etc/edge-ledger/edge-ledger.toml")"
check "key kept" test "$key" = "$(sha256sum <"$root/etc/edge-ledger/keys/ed25519.key")"
check "data kept" test "$(cat "$root/var/lib/edge-ledger/ledger.db")" = ledger
check "says what it kept" grep -q "kept /var/lib/edge-ledger" "$work/run6.log"
DESTDIR=$root "$repo/scripts/install.sh" --uninstall >"$work/run7.log" 2>&1 || fail "second uninstall exits 0"
check "second uninstall has nothing to remove" grep -q "nothing to remove" "$work/run7.log"

echo "reinstall over kept data, with the upstream"
install_ --upstream >"$work/run8.log" 2>&1 || fail "reinstall exits 0"
check "reinstall keeps the config" test "$edited" = "$(sha256sum <"$root/etc/edge-ledger/edge-ledger.toml")"
check "reinstall keeps the key" test "$key" = "$(sha256sum <"$root/etc/edge-ledger/keys/ed25519.key")"
check "upstream unit installed" test -f "$root/etc/systemd/system/edge-ledger-upstream.service"
check "upstream binary installed beside the gateway's" mode_is /usr/local/bin/edge-ledger-upstream 755
check "upstream config installed" mode_is /etc/edge-ledger/upstream.toml 640
check "witness key created for the upstream" mode_is /etc/edge-ledger/keys/witness-ed25519.key 600
check "the witness's cosignature verifier key is printed" grep -q "witness cosignature verifier key.*: witness.example/dc-1+" "$work/run8.log"

echo "purge"
DESTDIR=$root "$repo/scripts/install.sh" --uninstall --purge >"$work/run9.log" 2>&1 || fail "purge exits 0"
check "purge removes the config and keys" test ! -e "$root/etc/edge-ledger"
check "purge removes the data" test ! -e "$root/var/lib/edge-ledger"
check "purge removes the upstream unit" test ! -e "$root/etc/systemd/system/edge-ledger-upstream.service"

echo "--prefix"
rm -rf "$root"
install_ --prefix /opt/edge-ledger >"$work/run10.log" 2>&1 || fail "install with --prefix exits 0"
check "binary under the prefix" test -x "$root/opt/edge-ledger/bin/edge-ledger"
check "unit runs the prefixed binary" grep -q "^ExecStart=/opt/edge-ledger/bin/edge-ledger run" \
    "$root/etc/systemd/system/edge-ledger.service"
check "unit runs the prefixed helper" grep -q "^ExecStartPre=+/opt/edge-ledger/libexec/edge-ledger/ensure-keys" \
    "$root/etc/systemd/system/edge-ledger.service"
check "nothing under /usr/local" test ! -e "$root/usr/local"

echo "misuse"
if "$repo/scripts/install.sh" --purge >/dev/null 2>&1; then fail "--purge alone is refused"; else ok "--purge alone is refused"; fi
if [ "$(id -u)" -ne 0 ]; then
    if "$repo/scripts/install.sh" --no-apt --binary "$binary" >/dev/null 2>&1; then
        fail "a real install needs root"
    else ok "a real install needs root"; fi
fi

echo "test-install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
