#!/usr/bin/env bash
# shellcheck disable=SC2015  # `check && ok || fail`: ok only echoes, so fail runs only on failure
# End-to-end test of the service under a real systemd (PID 1 in a systemd-nspawn container of
# Debian bookworm), for machines where systemd is not PID 1 (CI containers, build VMs):
#   - scripts/install.sh as root without DESTDIR: packages present, user, directories, keys;
#   - the agent as edge-ledger.service with the full sandbox: Type=notify start (READY=1),
#     STATUS=, watchdog pings (WatchdogTimestamp advances, no restarts), readings from the
#     container's mosquitto stored and sealed, `systemctl reload`, `systemctl stop` (STOPPING=1);
#   - `edge-ledger status` against the running agent and its API;
#   - the live `systemd-analyze security` exposure (at most 2.0);
#   - --uninstall keeps configuration, keys and data.
#
# Usage: sudo systemd/test-under-systemd.sh --binary PATH [--root DIR] [--keep]
#   --binary PATH  an edge-ledger built with --static-swift-stdlib (the container has no Swift)
#   --root DIR     the container's root (default /var/tmp/edge-ledger-nspawn; made with
#                  debootstrap on first use, ~2 min, ~350 MB, reused afterwards). The container
#                  has its own network namespace (loopback only).
#   --keep         leave the container running (stop it with: kill <pid of systemd-nspawn>)
# Needs root, debootstrap and systemd-container (systemd-nspawn); reaches the Debian mirror once.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
binary="" root=/var/tmp/edge-ledger-nspawn keep=0
while (($#)); do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --root) root=${2%/}; shift 2 ;;
        --keep) keep=1; shift ;;
        -h | --help) awk 'NR > 1 && /^# shellcheck/ { next } NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "test-under-systemd: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$binary" ] && [ -x "$binary" ] || { echo "test-under-systemd: --binary PATH is required" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "test-under-systemd: run as root" >&2; exit 1; }
for tool in debootstrap systemd-nspawn nsenter; do
    command -v "$tool" >/dev/null || { echo "test-under-systemd: $tool is needed (apt-get install debootstrap systemd-container)" >&2; exit 1; }
done

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "  ok    $*"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $*"; }

# 1. The container's root file system.
if [ ! -x "$root/lib/systemd/systemd" ] || [ ! -f "$root/.edge-ledger-nspawn" ]; then
    echo "test-under-systemd: debootstrap bookworm into $root"
    rm -rf "$root"
    debootstrap --variant=minbase \
        --include=systemd,systemd-sysv,dbus,mosquitto,mosquitto-clients,libmosquitto1,libssl3,libsqlite3-0,ca-certificates,procps \
        bookworm "$root" http://deb.debian.org/debian >"$root.debootstrap.log" 2>&1 || {
        tail -n 20 "$root.debootstrap.log" >&2
        exit 1
    }
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
    echo edge-ledger-test >"$root/etc/hostname"
    touch "$root/.edge-ledger-nspawn"
fi
rm -rf "$root/root/edge-ledger"
mkdir -p "$root/root/edge-ledger"
cp -a "$repo/scripts" "$repo/systemd" "$repo/Configs" "$repo/docs" "$repo/README.md" "$root/root/edge-ledger/"
cp "$binary" "$root/root/edge-ledger/edge-ledger"

# 2. Boot it.
# --private-network: the container's broker (1883) and agent API (8080) stay off the host's ports.
systemd-nspawn -D "$root" --register=no --keep-unit --private-network -b --console=passive >"$root.boot.log" 2>&1 &
nspawn=$!
cleanup() {
    if [ "$keep" -eq 1 ]; then
        echo "test-under-systemd: container left running (systemd-nspawn pid $nspawn)"
        return
    fi
    [ -z "${leader:-}" ] || nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 1 30); do kill -0 "$nspawn" 2>/dev/null || return 0; sleep 1; done
    kill "$nspawn" 2>/dev/null || true
}
trap cleanup EXIT
leader=""
for _ in $(seq 1 60); do
    leader=$(pgrep -P "$nspawn" | head -n 1 || true)
    if [ -n "$leader" ]; then
        state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
        case "$state" in running | degraded) break ;; esac
    fi
    sleep 1
done
[ -n "$leader" ] || { cat "$root.boot.log" >&2; echo "test-under-systemd: the container did not boot" >&2; exit 1; }
inside() { nsenter -t "$leader" -a "$@"; }
echo "test-under-systemd: $(inside systemd --version | head -n 1) is PID 1 in the container"
prop() { inside systemctl show "$1" -p "$2" --value; }

# 3. Install (after clearing what an earlier run left), set the origin, install again (key), start.
echo "install"
inside sh -c 'cd /root/edge-ledger && scripts/install.sh --uninstall --purge' >/dev/null 2>&1 || true
inside sh -c 'cd /root/edge-ledger && scripts/install.sh --binary ./edge-ledger' >"$root.install1.log" 2>&1 &&
    ok "install.sh as root" || fail "install.sh: $(tail -n 5 "$root.install1.log" | tr '\n' ' ')"
inside id edge-ledger >/dev/null 2>&1 && ok "system user edge-ledger" || fail "no user edge-ledger"
inside sed -i -e 's|^origin = .*|origin = "test.example/plant-1/gw-7"|' -e 's|^client_id = .*|client_id = "edge-ledger-gw-7"|' \
    /etc/edge-ledger/edge-ledger.toml
inside sh -c 'cd /root/edge-ledger && scripts/install.sh --binary ./edge-ledger --enable' >"$root.install2.log" 2>&1 ||
    fail "install.sh --enable: $(tail -n 5 "$root.install2.log" | tr '\n' ' ')"
grep -q "verifier key for /etc/edge-ledger/keys/ed25519.key: test.example/plant-1/gw-7+" "$root.install2.log" &&
    ok "key created and its verifier key printed" || fail "no verifier key in: $(tr '\n' ' ' <"$root.install2.log")"
[ "$(inside stat -c '%U %a' /etc/edge-ledger/keys/ed25519.key)" = "edge-ledger 600" ] &&
    ok "key owned by edge-ledger, mode 600" || fail "key owner/mode: $(inside stat -c '%U %a' /etc/edge-ledger/keys/ed25519.key)"

echo "service"
[ "$(prop edge-ledger ActiveState)" = active ] && ok "Type=notify start completed (READY=1)" ||
    fail "not active: $(prop edge-ledger ActiveState)/$(prop edge-ledger SubState)"
[ "$(prop edge-ledger StatusText)" = ingesting ] && ok "STATUS=ingesting" || fail "StatusText '$(prop edge-ledger StatusText)'"
[ "$(prop edge-ledger WatchdogUSec)" = 30s ] && ok "WatchdogSec=30s" || fail "WatchdogUSec $(prop edge-ledger WatchdogUSec)"
first_ping=$(prop edge-ledger WatchdogTimestampMonotonic)
inside sh -c 'cd /tmp && runuser -u edge-ledger -- /usr/local/bin/edge-ledger simulate --broker localhost:1883 --count 1000 --rate 500' \
    >"$root.simulate.log" 2>&1 || fail "simulate: $(tail -n 2 "$root.simulate.log")"
sleep 32
[ "$(prop edge-ledger WatchdogTimestampMonotonic)" != "$first_ping" ] && [ "$(prop edge-ledger NRestarts)" = 0 ] &&
    ok "watchdog pings keep arriving, no restarts" ||
    fail "watchdog: timestamp $(prop edge-ledger WatchdogTimestampMonotonic) (was $first_ping), restarts $(prop edge-ledger NRestarts)"
status=$(inside /usr/local/bin/edge-ledger status --config /etc/edge-ledger/edge-ledger.toml --json 2>&1 || true)
echo "$status" | grep -q '"tree_size":1000,' && ok "status: 1000 readings stored and sealed" ||
    fail "status: $(echo "$status" | head -c 400)"
echo "$status" | grep -q '"running":true' && echo "$status" | grep -q '"api_state":"ready"' &&
    ok "status: agent running, API ready" || fail "status agent: $(echo "$status" | grep -o '"agent":{[^}]*}')"
inside systemctl reload edge-ledger && [ "$(prop edge-ledger ActiveState)" = active ] && ok "systemctl reload" || fail "reload"
score=$(inside systemd-analyze security edge-ledger.service 2>/dev/null | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.0) }' && ok "live systemd-analyze security: $score" || fail "exposure ${score:-?}"
inside systemctl stop edge-ledger &
sleep 0.3
stopping=$(prop edge-ledger StatusText)
wait $! || true
[ "$(prop edge-ledger ActiveState)" = inactive ] && ok "systemctl stop (status while stopping: '$stopping')" ||
    fail "stop: $(prop edge-ledger ActiveState)"
inside journalctl -u edge-ledger --no-pager | grep -q "edge-ledger stopped entries=1000 sealed=1000" &&
    ok "clean shutdown: everything sealed" || fail "no clean shutdown line in the journal"

echo "uninstall"
inside sh -c 'cd /root/edge-ledger && scripts/install.sh --uninstall' >"$root.uninstall.log" 2>&1 || fail "uninstall"
inside test -f /var/lib/edge-ledger/ledger.db && inside test -f /etc/edge-ledger/keys/ed25519.key &&
    inside test ! -e /usr/local/bin/edge-ledger && ok "uninstall keeps data and keys, removes the binary" ||
    fail "uninstall: $(tr '\n' ' ' <"$root.uninstall.log")"
# Leave the container clean for the next run.
inside sh -c 'cd /root/edge-ledger && scripts/install.sh --uninstall --purge' >/dev/null 2>&1 || true

echo "test-under-systemd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
