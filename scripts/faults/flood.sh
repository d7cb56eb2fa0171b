#!/usr/bin/env bash
# Fault scenario 7, MQTT payload flood: QoS 1 messages as fast as the broker takes them, half of
# them valid numbered readings, the rest junk (truncated / non-object JSON, binary garbage,
# empty, NUL bytes, 17 KiB and 1 MiB payloads, a 600-byte topic, off-filter topics, retained
# junk), plus a PUBLISH with a topic that is not valid UTF-8 (over a raw socket; the broker
# should refuse it). Expected: the agent never crashes or restarts, every rejection is counted
# in edge_ledger_readings_rejected_total by reason, the retained junk is rejected again when the
# agent re-subscribes, RSS stays bounded, and every good reading is stored exactly as published.
#
# Usage: scripts/faults/flood.sh [--ci] [--long] [--count N]
#   --ci    20000 messages (default);  --long  1,000,000 messages
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

count=20000 max_rss_kb=$((256 * 1024))
parse_options 'count=1000000' 'count=count' "$@"
python3 -c 'import paho.mqtt.client' 2>/dev/null || { say "needs paho-mqtt: pip install paho-mqtt (or apt-get install python3-paho-mqtt)"; exit 2; }

fault_start
start_broker
make_gateway
start_agent
pid=$AGENT_PID

python3 "$FAULTS_DIR/flood.py" 127.0.0.1 "$BROKER_PORT" "$count" >"$WORK/flood.json" 2>"$WORK/flood.err" &
flood_pid=$!
track $flood_pid
rss_max=0
while kill -0 $flood_pid 2>/dev/null; do
    r=$(rss_kb "$pid")
    [ "$r" -le "$rss_max" ] || rss_max=$r
    kill -0 "$pid" 2>/dev/null || die "the agent died during the flood: $(tail -5 "$AGENT_LOG")"
    sleep 0.5
done
wait $flood_pid || die "the flood publisher failed: $(tail -3 "$WORK/flood.err")"
untrack $flood_pid
read -r good sensors utf8 < <(python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); print(f["good"], f["sensors"], f["invalid_utf8_topic"].replace(" ", "_"))' "$WORK/flood.json")
wait_drained "$good" || true
kill -0 "$pid" || die "the agent died after the flood"

# Rejections by reason, against what was sent (>=: QoS 1 may redeliver after a reconnect).
check_rejections() {
    python3 - "$WORK/flood.json" "$1" <<'EOF'
import json, sys
flood = json.load(open(sys.argv[1]))
got = {}
for line in open(sys.argv[2]):
    if line.startswith("edge_ledger_readings_rejected_total{"):
        reason = line.split('reason="')[1].split('"')[0]
        got[reason] = int(float(line.split()[-1]))
bad = [f"{r}: {got.get(r, 0)} counted, {n} sent" for r, n in flood["expected_rejections"].items() if got.get(r, 0) < n]
print(", ".join(f"{r} {n}" for r, n in sorted(got.items()) if n) + ("; MISSING " + "; ".join(bad) if bad else ""))
sys.exit(1 if bad else 0)
EOF
}
deadline=$((SECONDS + 30))
while :; do
    metrics >"$WORK/metrics.txt" || true
    rejected=$(check_rejections "$WORK/metrics.txt") && rejections_ok=1 || rejections_ok=0
    [ $rejections_ok = 0 ] && [ $SECONDS -lt $deadline ] || break
    sleep 1
done

# Retained junk comes again on the next subscription: a restart must reject it again.
stop_agent
start_agent
wait_until 30 "retained junk rejected" bash -c "[ \"\$(curl -fsS -H @'$WORK/token.hdr' '$API/metrics' | awk '/^edge_ledger_readings_rejected_total\\{reason=\"payload_not_json_object\"\\}/ { print int(\$2) }')\" -ge 1 ]" &&
    retained="retained junk rejected again after restart" || retained="retained junk NOT seen after restart"
stop_agent

result=$(count_readings "$DB" "$good" "$sensors") && counted=0 || counted=$?
verify_store "$DB" && verified=ok || verified=FAILED
echo "flood: $count messages ($good good) in $(python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); print(f["seconds"], "s,", f["rate"], "msg/s")' "$WORK/flood.json"); agent alive throughout (max RSS $((rss_max / 1024)) MiB); rejected: $rejected; $retained; invalid UTF-8 topic: ${utf8//_/ } by the broker; $result; verify $verified"
ok=1
[ $rejections_ok = 1 ] || ok=0
[ "$rss_max" -le "$max_rss_kb" ] || { say "RSS reached $rss_max kB (limit $max_rss_kb)"; ok=0; }
case $retained in *NOT*) ok=0 ;; esac
[ "$verified" = ok ] && [ $counted -eq 0 ] && [ $ok = 1 ]
