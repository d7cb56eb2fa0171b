#!/usr/bin/env bash
# The live demo: a private MQTT broker, 20 simulated sensors at 200 readings/s (every 50th
# reading malformed), the agent turning them into a signed, verifiable log, and a status line
# every second. Ctrl-C stops everything cleanly, prints the latest signed checkpoint and
# verifies the whole store with the gateway's verifier key.
#
# Usage:  scripts/demo.sh
# Environment:
#   DEMO_SECONDS=N   stop by itself after N seconds (for CI and other non-interactive runs)
#   DEMO_BUILD=debug|release   build configuration (default: debug; see docs/PERFORMANCE.md "Demo build")
#   DEMO_RATE=R, DEMO_SENSORS=N, DEMO_BAD_EVERY=K   simulator settings (200, 20, 50)
#   DEMO_KEEP=1      keep the demo directory (config, keys, ledger.db, logs) afterwards
#   EDGE_LEDGER=PATH use this edge-ledger binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${DEMO_SECONDS:-0}
build=${DEMO_BUILD:-debug}
rate=${DEMO_RATE:-200}
sensors=${DEMO_SENSORS:-20}
bad_every=${DEMO_BAD_EVERY:-50}
case $seconds in '' | *[!0-9]*)
    echo "demo: DEMO_SECONDS must be a whole number of seconds" >&2
    exit 2
    ;;
esac
case $build in release | debug) ;; *)
    echo "demo: DEMO_BUILD must be release or debug" >&2
    exit 2
    ;;
esac

say() { printf 'demo: %s\n' "$*" >&2; }

# --- 1. System packages and the binary -------------------------------------------------------
scripts/setup.sh
for tool in mosquitto sqlite3 setsid; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
        say "$tool is missing; run scripts/setup.sh as root"
        exit 1
    }
done
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)

if [ -n "${EDGE_LEDGER:-}" ]; then
    bin=$EDGE_LEDGER
else
    say "building edge-ledger ($build; the first build takes several minutes)"
    build_log=$(mktemp)
    started=$SECONDS
    if ! swift build -c "$build" --product edge-ledger >"$build_log" 2>&1; then
        grep -E "error:" "$build_log" | head -20 >&2 || tail -20 "$build_log" >&2
        say "build failed (full log: $build_log)"
        exit 1
    fi
    rm -f "$build_log"
    say "built in $((SECONDS - started)) s"
    bin="$(swift build -c "$build" --show-bin-path)/edge-ledger"
fi
[ -x "$bin" ] || {
    say "no edge-ledger binary at $bin"
    exit 1
}

# --- 2. A private broker, a fresh gateway directory --------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-demo.XXXXXX")
broker_pid="" agent_pid="" sim_pid=""

# A loopback TCP port nothing listens on (bash's /dev/tcp: a refused connection means free).
free_port() {
    local port
    for _ in $(seq 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    say "no free loopback port found"
    exit 1
}

# Waits until something accepts connections on 127.0.0.1:$1 (at most $2 seconds).
wait_listening() {
    local deadline=$((SECONDS + $2))
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}

# Sends SIGTERM to $1 and waits up to $2 seconds for it to exit (then SIGKILL); sets
# $stopped_status to its exit status.
stopped_status=0
stop_process() {
    local pid=$1 limit=$2 name=$3
    stopped_status=0
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
        if [ $SECONDS -ge $deadline ]; then
            say "$name did not stop within $limit s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    wait "$pid" 2>/dev/null || stopped_status=$?
    return 0
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    stop_process "$sim_pid" 30 simulator
    stop_process "$agent_pid" 30 agent
    stop_process "$broker_pid" 10 broker
    if [ "${DEMO_KEEP:-0}" = 1 ]; then
        say "kept $work (config, keys, data/ledger.db, logs)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

broker_port=$(free_port)
cat >"$work/mosquitto.conf" <<EOF
listener $broker_port 127.0.0.1
allow_anonymous true
max_queued_messages 1000000
max_inflight_messages 1000
log_dest stderr
log_type error
log_type warning
EOF
# Each long-running process gets its own session (setsid): a Ctrl-C in the terminal reaches
# only this script, which then stops them in order: simulator, agent, broker.
setsid "$mosquitto_bin" -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
wait_listening "$broker_port" 10 || {
    cat "$work/mosquitto.log" >&2
    say "mosquitto did not start"
    exit 1
}
say "broker: mosquitto on 127.0.0.1:$broker_port"

gateway="$work/gateway"
"$bin" init --dir "$gateway" --origin "demo.edge-ledger.example/plant-7/gw-12" \
    --broker "127.0.0.1:$broker_port" --topics "factory/+/telemetry" \
    --listen "127.0.0.1:$(free_port)" >"$work/init.log" 2>&1 || {
    cat "$work/init.log" >&2
    say "edge-ledger init failed"
    exit 1
}
db="$gateway/data/ledger.db"
say "gateway: $gateway (edge-ledger.toml, keys/, verifier-keys.txt, data/ledger.db)"

# --- 3. The agent, then the sensors ------------------------------------------------------------
setsid "$bin" run --config "$gateway/edge-ledger.toml" >"$work/agent.log" 2>&1 &
agent_pid=$!
# The simulator may only start once the agent's subscription exists: before that, the broker
# has no session to keep readings for.
deadline=$((SECONDS + 30))
until grep -q "broker connected" "$work/agent.log" 2>/dev/null; do
    if ! kill -0 "$agent_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        tail -20 "$work/agent.log" >&2
        say "the agent did not connect to the broker"
        exit 1
    fi
    sleep 0.1
done
sleep 0.5 # the SUBACK follows the CONNACK
say "agent: running (log: $work/agent.log)"

setsid "$bin" simulate --broker "127.0.0.1:$broker_port" --sensors "$sensors" --rate "$rate" --qos 1 \
    --bad-every "$bad_every" --json >"$work/simulator.out" 2>"$work/simulator.log" &
sim_pid=$!
say "simulator: $sensors sensors, $rate readings/s, QoS 1, every ${bad_every}th reading malformed"
if [ "$seconds" -gt 0 ]; then
    say "running for $seconds s"
else
    say "press Ctrl-C to stop"
fi

# --- 4. The live status line -------------------------------------------------------------------
# Read from the store through a read-only SQLite connection (WAL: never blocks the agent).
query() { sqlite3 -readonly -cmd ".timeout 2000" "$db" "$1" 2>/dev/null; }

stop_requested=0
trap 'stop_requested=1' INT TERM
tty=0
[ -t 1 ] && tty=1
started=$SECONDS
last_total=0 last_time=$(date +%s.%N)
while [ $stop_requested -eq 0 ]; do
    sleep 1 &
    wait $! || true
    [ $stop_requested -eq 0 ] || break
    if ! kill -0 "$agent_pid" 2>/dev/null; then
        echo >&2
        tail -20 "$work/agent.log" >&2
        say "the agent stopped unexpectedly"
        exit 1
    fi
    row=$(query "SELECT (SELECT coalesce(max(idx) + 1, 0) FROM entries), (SELECT count(*) FROM rejected),
                        (SELECT count(*) FROM checkpoints), (SELECT coalesce(max(size), 0) FROM checkpoints)") || row=""
    [ -n "$row" ] || continue
    IFS='|' read -r entries rejected checkpoints sealed <<<"$row"
    now=$(date +%s.%N)
    total=$((entries + rejected))
    per_second=$(awk -v a="$total" -v b="$last_total" -v t="$now" -v u="$last_time" \
        'BEGIN { printf "%.0f", (t > u) ? (a - b) / (t - u) : 0 }')
    last_total=$total last_time=$now
    line=$(printf '%4ds  %5s readings/s  %8d entries  %6d checkpoints (sealed %d)  %5d rejected' \
        $((SECONDS - started)) "$per_second" "$entries" "$checkpoints" "$sealed" "$rejected")
    if [ $tty -eq 1 ]; then printf '\r\033[K%s' "$line"; else printf '%s\n' "$line"; fi
    if [ "$seconds" -gt 0 ] && [ $((SECONDS - started)) -ge "$seconds" ]; then break; fi
done
[ $tty -eq 1 ] && echo
trap - INT TERM

# --- 5. Stop in order, show the latest checkpoint, verify --------------------------------------
say "stopping the simulator"
stop_process "$sim_pid" 30 simulator
sim_pid=""
head -1 "$work/simulator.out" >&2 || true
say "stopping the agent (SIGTERM: stop ingest, seal the rest)"
stop_process "$agent_pid" 30 agent
agent_status=$stopped_status
agent_pid=""
stop_process "$broker_pid" 10 broker
broker_pid=""
if ! grep -q "edge-ledger stopped" "$work/agent.log"; then
    tail -20 "$work/agent.log" >&2
    say "the agent did not stop cleanly (status $agent_status)"
fi

IFS='|' read -r entries rejected <<<"$(query "SELECT (SELECT count(*) FROM entries), (SELECT count(*) FROM rejected)")"
echo
echo "Ledger: $entries entries, $rejected rejected readings"
# The simulator's JSON summary: every good reading it published must be an entry.
good=$(sed -n 's/.*"good":\([0-9]*\).*/\1/p' "$work/simulator.out" | tail -1)
bad_delivered=$(sed -n 's/.*"bad_on_telemetry_topics":\([0-9]*\).*/\1/p' "$work/simulator.out" | tail -1)
if [ -n "$good" ]; then
    if [ "$entries" -eq "$good" ]; then
        echo "Simulator: $good good readings published, all $entries in the ledger;" \
            "$bad_delivered malformed ones on telemetry topics, $rejected rejected (the others used a topic outside the filters)"
    else
        echo "Simulator: $good good readings published, but the ledger has $entries entries"
    fi
fi
echo "Rejections by reason:"
query "SELECT '    ' || kind || ': ' || n FROM (
         SELECT substr(reason, 1, instr(reason || ':', ':') - 1) AS kind, count(*) AS n FROM rejected GROUP BY kind
       ) ORDER BY kind" || true
echo
echo "Latest checkpoint (C2SP signed note):"
echo
query "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1" | sed 's/^/    /'
echo
echo "Verifier key(s) ($gateway/verifier-keys.txt):"
sed 's/^/    /' "$gateway/verifier-keys.txt"
echo
echo "\$ edge-ledger verify --db $db --verifier-keys $gateway/verifier-keys.txt"
set +e
"$bin" verify --db "$db" --verifier-keys "$gateway/verifier-keys.txt"
verified=$?
set -e
if [ $verified -eq 0 ]; then
    say "verified: every entry, root and checkpoint signature checks out"
else
    say "verification FAILED (exit $verified)"
fi
exit $verified
