#!/usr/bin/env bash
# Runs every fault scenario of scripts/faults/ one after the other and prints one result line
# each, then `N passed, N failed[, N skipped]`. Exit status 1 when any scenario failed.
#
# Usage: scripts/faults/run-all.sh [--ci | --long] [SCENARIO...]
#   --ci    the CI-sized variants (default; about 5 minutes on 2 loaded cores)
#   --long  the long variants (about an hour); the soak (scripts/faults/soak.sh) is never run here
#   SCENARIO  only these (crash-loop dedup-crash-loop power-loss full-disk outage clock-jumps flood http-abuse tamper
#             journal-damage store-damage split-view forged-cosignature quota-cycles slow-clients
#             forged-ack fleet-takeover postgres-restart duplicate-enrollment push-upload push-refusals
#             push-switch)
# Environment: EDGE_LEDGER=PATH (default .build/debug/edge-ledger), FAULTS_KEEP_ON_FAILURE=1.
# A scenario whose prerequisite is missing (root for full-disk, libfaketime, paho-mqtt, the
# PostgreSQL server for the fleet scenarios and push-switch, mosquitto_pub for dedup-crash-loop) is skipped with the reason, not failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

size=--ci
selected=()
for arg in "$@"; do
    case $arg in
    --ci | --long) size=$arg ;;
    -*) echo "run-all: unknown option $arg" >&2; exit 64 ;;
    *) selected+=("$arg") ;;
    esac
done
all=(crash-loop dedup-crash-loop power-loss full-disk outage clock-jumps flood http-abuse tamper journal-damage store-damage split-view forged-cosignature quota-cycles slow-clients forged-ack fleet-takeover postgres-restart duplicate-enrollment push-upload push-refusals push-switch)
[ ${#selected[@]} -gt 0 ] || selected=("${all[@]}")

skip_reason() {
    case $1 in
    full-disk) [ "$(id -u)" = 0 ] || echo "needs root to mount a tmpfs" ;;
    clock-jumps) dpkg -L libfaketime 2>/dev/null | grep -q 'libfaketime.so.1$' || echo "libfaketime missing (apt-get install faketime)" ;;
    flood | quota-cycles) python3 -c 'import paho.mqtt.client' 2>/dev/null || echo "paho-mqtt missing (pip install paho-mqtt)" ;;
    dedup-crash-loop) command -v mosquitto_pub >/dev/null || echo "mosquitto_pub missing (apt-get install mosquitto-clients)" ;;
    tamper) command -v sqlite3 >/dev/null || echo "sqlite3 missing (apt-get install sqlite3)" ;;
    fleet-takeover | postgres-restart | duplicate-enrollment | push-switch)
        compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null ||
            echo "the PostgreSQL server is missing (scripts/setup.sh)"
        ;;
    esac
    command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || echo "mosquitto missing (scripts/setup.sh)"
}

passed=0 failed=0 skipped=0 failed_names=()
started=$SECONDS
for name in "${selected[@]}"; do
    script="$here/$name.sh"
    [ -x "$script" ] || { echo "run-all: no scenario $name" >&2; exit 64; }
    reason=$(skip_reason "$name" | head -1)
    if [ -n "$reason" ]; then
        echo "$name: SKIPPED ($reason)"
        skipped=$((skipped + 1))
        continue
    fi
    t0=$SECONDS
    log=$(mktemp) out=$(mktemp)
    # The scenario's result line is the last line of its standard output; the rest is its log.
    if "$script" "$size" 2>&1 >"$out" | tee "$log" >/dev/null; [ "${PIPESTATUS[0]}" -eq 0 ]; then
        status=0
    else
        status=$?
    fi
    line=$(tail -1 "$out")
    if [ $status -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS ${line:-$name} [$((SECONDS - t0)) s]"
    else
        failed=$((failed + 1))
        failed_names+=("$name")
        echo "FAIL ${line:-$name: exit status $status} [$((SECONDS - t0)) s]"
        sed 's/^/    /' "$log" | tail -25
    fi
    rm -f "$log" "$out"
done
echo "fault scenarios ($size) took $((SECONDS - started)) s"
if [ $skipped -gt 0 ]; then
    echo "faults: $passed passed, $failed failed, $skipped skipped"
else
    echo "faults: $passed passed, $failed failed"
fi
[ $failed -eq 0 ]
