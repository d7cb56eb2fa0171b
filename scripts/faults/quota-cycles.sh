#!/usr/bin/env bash
# Fault scenario 11, quota cycles: the store's quota (1 MiB, backpressure) is hit by a burst of
# QoS 1 readings of 8 KB, the agent is stopped at a random moment after the refusal (SIGTERM and
# SIGKILL alternating) and restarted with the quota raised. Every reading the broker
# acknowledged to the publisher (PUBACK, counted per reading) must be in the store after the
# final drain, and every SIGTERM must leave the ingest journal empty (the final fold stores what
# was acknowledged, past the quota). Each cycle starts from an empty store. Issue 11, finding 2:
# a reading journaled (acknowledged) but given up at shutdown was then marked folded by a later,
# smaller batch, and dropped with the journal.
#
# Usage: scripts/faults/quota-cycles.sh [--ci] [--long] [--cycles N] [--readings N]
#   --ci      6 cycles of 400 readings (default)
#   --long    50 cycles of 400 readings
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

cycles=6 readings=400
parse_options 'cycles=50' 'cycles=cycles readings=readings' "$@"

fault_start
python3 -c 'import paho.mqtt.client' 2>/dev/null || {
    say "paho-mqtt missing (pip install paho-mqtt)"
    exit 2
}
start_broker
make_gateway
set_config ingest max_payload_bytes 16384

journal_segments() { find "$DB-ingest-journal" -name '*.journal' 2>/dev/null | wc -l; }
refusals() { grep -c "the store refuses readings" "$AGENT_LOG" || true; }
check() { "$BIN" export --db "$DB" --format jsonl 2>/dev/null | python3 "$FAULTS_DIR/quota_pub.py" check "$1" "$2"; }

acked_total=0 missing_total=0 duplicates_total=0 lossy=0 left=0 terms=0 kills=0
for c in $(seq "$cycles"); do
    sensor="quota-$c" acked="$WORK/acked-$c"
    rm -rf "$GW/data"
    set_config storage quota '"1MiB"'
    start_agent
    before=$(refusals)
    python3 "$FAULTS_DIR/quota_pub.py" publish 127.0.0.1 "$BROKER_PORT" "$sensor" "$readings" "$acked" \
        >"$WORK/publish-$c.json" 2>&1 || die "cycle $c: the broker did not acknowledge every reading: $(tail -2 "$WORK/publish-$c.json")"
    wait_until 60 "quota" bash -c "[ \"\$(grep -c 'the store refuses readings' '$AGENT_LOG')\" -gt $before ]" ||
        die "cycle $c: the agent did not reach its quota within 60 s"
    sleep_ms "$(random_ms 0 600)"
    if [ $((c % 2)) = 1 ]; then
        stop_agent
        terms=$((terms + 1))
        segments=$(journal_segments)
        if [ "$segments" -gt 0 ]; then
            say "cycle $c: $segments journal segment(s) left after SIGTERM"
            left=$((left + 1))
        fi
        how=SIGTERM
    else
        kill_agent KILL
        kills=$((kills + 1))
        how=SIGKILL
    fi
    at_quota=$("$BIN" export --db "$DB" --summary 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
    set_config storage quota '"1GiB"'
    start_agent
    wait_until 90 "drain" check "$sensor" "$acked" || true
    stop_agent
    result=$(check "$sensor" "$acked") && status=0 || status=$?
    progress "cycle $c/$cycles ($how, $at_quota stored at the quota): $result"
    read -r n m d < <(sed -E 's/acknowledged ([0-9]+), stored [0-9]+, missing ([0-9]+).*duplicates ([0-9]+)/\1 \2 \3/' <<<"$result")
    acked_total=$((acked_total + n)) missing_total=$((missing_total + m)) duplicates_total=$((duplicates_total + d))
    if [ $status -ne 0 ]; then
        say "cycle $c ($how): $result"
        lossy=$((lossy + 1))
    fi
    [ "$(journal_segments)" -eq 0 ] || { say "cycle $c: journal left after the final SIGTERM"; left=$((left + 1)); }
    verify_store "$DB" || { cat "$WORK/verify.last" >&2; die "cycle $c: verify failed"; }
done

echo "quota-cycles: $cycles cycles ($terms SIGTERM, $kills SIGKILL); acknowledged $acked_total, missing $missing_total in $lossy cycles, duplicates $duplicates_total; journal left after SIGTERM: $left"
[ $lossy -eq 0 ] && [ $left -eq 0 ]
