#!/usr/bin/env bash
# Fault scenario 4, broker gone and upstream gone: the agent has a witness upstream that does not
# answer (a loopback port nobody listens on) until the end, and the broker is stopped for
# a while. Measured from /proc while the agent waits: RSS growth and CPU use (must stay near
# idle: no busy loop). Expected: /readyz 503 and edge_ledger_mqtt_connected 0 while the broker
# is away; when it is back (same port, persistent), the agent reconnects by itself, readings
# published before the outage and right after the broker's return (queued in the agent's
# persistent session before the agent reconnects) are all stored, and verify passes. Last, the
# witness (the reference `edge-ledger-upstream`) starts on its port: the agent's next push must
# succeed, and edge_ledger_upstream_push_failures_total must have counted the failed ones.
#
# Usage: scripts/faults/outage.sh [--ci] [--long] [--seconds N]
#   --ci    broker away 30 s (default)
#   --long  broker away 5 minutes
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

outage=30 count=3000 sensors=6
max_cpu_percent=3 max_rss_growth_kb=16384
parse_options 'outage=300' 'seconds=outage' "$@"

fault_start
start_broker
make_gateway
set_config mqtt.reconnect max '"5s"'
upstream_port=$(free_port)
# The witness that comes back in phase 4: its key and configuration now, for the verifier_key.
"$BIN" keygen --alg ed25519 --name witness.faults.example --out "$WORK/witness" >"$WORK/witness-keygen.out" 2>&1 ||
    die "keygen for the witness failed: $(cat "$WORK/witness-keygen.out")"
{
    upstream_config witness.faults.example witness/ed25519.key "$upstream_port" "faults.example/$SCENARIO" \
        "$API" "$GW/keys/ed25519.pub" "token = \"$TOKEN\""
    printf 'pull_interval = "1s"\nacknowledge = false\n'
} >"$WORK/upstream.toml"
witness_key=$("$UPSTREAM_BIN" run --config "$WORK/upstream.toml" --print-verifier-key 2>"$WORK/witness-key.out") ||
    die "--print-verifier-key failed: $(cat "$WORK/witness-key.out")"
cat >>"$CONF" <<EOF

[[upstreams]]
name = "dc-gone"
url = "http://127.0.0.1:$upstream_port"
witness = true
verifier_key = "$witness_key"
timeout = "2s"

[upstreams.backoff]
max = "5s"
EOF
start_agent

# Phase 1: readings before the outage.
simulate --sensors "$sensors" --rate 1000 --count "$count" --qos 1 --json >"$WORK/sim1.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim1.out")"
wait_drained "$count" || die "the readings before the outage were not stored"
size1=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["entries"])' "$("$BIN" export --db "$DB" --summary 2>/dev/null)")

# Phase 2: the broker goes away; the agent waits.
stop_broker
wait_until 30 "disconnected" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/readyz)\" = 503 ]" ||
    die "/readyz did not turn 503 after the broker stopped"
connected=$(metric edge_ledger_mqtt_connected)
sleep 2 # let the disconnect settle before measuring the idle state
rss0=$(rss_kb "$AGENT_PID") cpu0=$(cpu_ticks "$AGENT_PID") fds0=$(fd_count "$AGENT_PID") t0=$(date +%s.%N)
rss_max=$rss0
end=$((SECONDS + outage))
while [ $SECONDS -lt $end ]; do
    sleep 1
    r=$(rss_kb "$AGENT_PID")
    [ "$r" -le "$rss_max" ] || rss_max=$r
    kill -0 "$AGENT_PID" || die "the agent exited while the broker was away"
done
rss1=$(rss_kb "$AGENT_PID") cpu1=$(cpu_ticks "$AGENT_PID") fds1=$(fd_count "$AGENT_PID") t1=$(date +%s.%N)
cpu_percent=$(python3 -c "print(round(100 * ($cpu1 - $cpu0) / $CLK_TCK / ($t1 - $t0), 2))")
push_failures=$(metric 'edge_ledger_upstream_push_failures_total{upstream="dc-gone"}')
"$BIN" status --config "$CONF" --json >"$WORK/status-outage.json" 2>/dev/null || true
upstream_status=$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["upstreams"][0]; print(json.dumps(u, separators=(",",":")))' "$WORK/status-outage.json" 2>/dev/null || echo unknown)
progress "upstream per status: $upstream_status"
progress "broker away ${outage} s: cpu $cpu_percent %, rss ${rss0} -> ${rss1} kB (max $rss_max), fds $fds0 -> $fds1, push failures $push_failures"

# Phase 3: the broker returns; readings published at once wait in the agent's session.
start_broker
reconnect_start=$(date +%s.%N)
simulate --sensors "$sensors" --rate 1000 --count "$count" --qos 1 --json >"$WORK/sim2.out" 2>&1 &
sim_pid=$!
track $sim_pid
wait_until 120 "ready again" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/readyz)\" = 200 ]" ||
    die "the agent did not become ready within 120 s of the broker's return"
reconnect_seconds=$(python3 -c "print(round($(date +%s.%N) - $reconnect_start, 1))")
wait_until 120 "simulator" bash -c "! kill -0 $sim_pid" || die "the simulator did not finish within 120 s"
wait $sim_pid || true
untrack $sim_pid
sim_good "$WORK/sim2.out" >/dev/null
wait_drained $((2 * count)) || true

# Phase 4: the upstream comes back (the reference upstream as witness on the same port): the
# agent's next push, within its backoff (max 5 s here), must succeed (once the upstream's
# collector has verified the log: a first checkpoint is cosigned only up to that size).
"$UPSTREAM_BIN" run --config "$WORK/upstream.toml" >"$WORK/upstream.log" 2>&1 &
upstream_pid=$!
track $upstream_pid
upstream_start=$SECONDS
pushed() {
    "$BIN" status --config "$CONF" --json --no-api 2>/dev/null | python3 -c '
import json, sys
u = json.load(sys.stdin)["upstreams"][0]
sys.exit(0 if u["consecutive_failures"] == 0 and u["last_pushed_size"] > 0 else 1)'
}
if wait_until 60 "pushed" pushed; then
    upstream_back="witness back: a checkpoint pushed and cosigned $((SECONDS - upstream_start)) s after it started"
else
    upstream_back="witness back: NO successful push within 60 s ($(tail -2 "$WORK/upstream.log" | tr '\n' ' '))"
fi
stop_agent

r1=$("$BIN" export --db "$DB" --to "$size1" 2>/dev/null | python3 "$FAULTS_DIR/count.py" "$count") && c1=0 || c1=$?
r2=$("$BIN" export --db "$DB" --from "$size1" 2>/dev/null | python3 "$FAULTS_DIR/count.py" "$count") && c2=0 || c2=$?
verify_store "$DB" && verified=ok || verified=FAILED
rss_growth=$((rss_max - rss0))
status_failures=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("consecutive_failures", 0))' "$upstream_status" 2>/dev/null || echo 0)
echo "outage: broker away ${outage} s (mqtt_connected $connected, readyz 503), upstream unreachable until the end (status: $status_failures consecutive failed pushes, metric: ${push_failures:-absent}); idle CPU $cpu_percent %, RSS ${rss0} -> max ${rss_max} kB, fds $fds0 -> $fds1; ready ${reconnect_seconds} s after the broker returned; $upstream_back; before: $r1; after: $r2; verify $verified"
ok=1
case $upstream_back in *NO*) ok=0 ;; esac
python3 -c "import sys; sys.exit(0 if $cpu_percent <= $max_cpu_percent else 1)" || { say "CPU $cpu_percent % while waiting (limit $max_cpu_percent %)"; ok=0; }
[ $rss_growth -le $max_rss_growth_kb ] || { say "RSS grew by $rss_growth kB while waiting (limit $max_rss_growth_kb kB)"; ok=0; }
[ "$fds1" -le $((fds0 + 5)) ] || { say "file descriptors grew from $fds0 to $fds1 while waiting"; ok=0; }
if [ "$status_failures" -gt 0 ] && [ "${push_failures:-0}" = 0 ]; then
    say "status reports $status_failures consecutive push failures but edge_ledger_upstream_push_failures_total is ${push_failures:-absent}"
    ok=0
fi
[ "$verified" = ok ] && [ $c1 -eq 0 ] && [ $c2 -eq 0 ] && [ $ok = 1 ]
