#!/usr/bin/env bash
# The live demo: a private MQTT broker, 20 simulated sensors at 200 readings/s (every 50th
# reading malformed), the agent turning them into a signed, verifiable log, the reference
# upstream (`edge-ledger-upstream`) pulling, re-verifying, cosigning and anchoring that log, and
# a status line every second. Ctrl-C stops everything cleanly, waits for the upstream to catch
# up, prints the latest signed checkpoint with the witness's cosignature, verifies the whole
# store with the gateway's verifier key and compares it with what the upstream collected.
#
# Usage:  scripts/demo.sh
# Environment:
#   DEMO_SECONDS=N   stop by itself after N seconds (for CI and other non-interactive runs)
#   DEMO_BUILD=debug|release   build configuration (default: debug; see docs/PERFORMANCE.md "Demo build")
#   DEMO_RATE=R, DEMO_SENSORS=N, DEMO_BAD_EVERY=K   simulator settings (200, 20, 50)
#   DEMO_FORMAT=sparkplug_b   Sparkplug B mode: each sensor is an edge node of group "factory"
#                    (NBIRTH, then NDATA) and the agent subscribes spBv1.0/# as a host application
#   DEMO_KEEP=1      keep the demo directory (config, keys, ledger.db, logs) afterwards
#   EDGE_LEDGER=PATH use this edge-ledger binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${DEMO_SECONDS:-0}
build=${DEMO_BUILD:-debug}
rate=${DEMO_RATE:-200}
sensors=${DEMO_SENSORS:-20}
bad_every=${DEMO_BAD_EVERY:-50}
format=${DEMO_FORMAT:-json}
case $format in json | sparkplug_b) ;; *)
    echo "demo: DEMO_FORMAT must be json or sparkplug_b" >&2
    exit 2
    ;;
esac
filter="factory/+/telemetry"
[ "$format" = json ] || filter="spBv1.0/#"
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
    if ! { swift build -c "$build" --product edge-ledger && swift build -c "$build" --product edge-ledger-upstream; } \
        >"$build_log" 2>&1; then
        grep -E "error:" "$build_log" | head -20 >&2 || tail -20 "$build_log" >&2
        say "build failed (full log: $build_log)"
        exit 1
    fi
    rm -f "$build_log"
    say "built in $((SECONDS - started)) s"
    bin="$(swift build -c "$build" --show-bin-path)/edge-ledger"
fi
upbin=${EDGE_LEDGER_UPSTREAM:-$(dirname "$bin")/edge-ledger-upstream}
[ -x "$bin" ] && [ -x "$upbin" ] || {
    say "no edge-ledger and edge-ledger-upstream binaries at $bin and $upbin"
    exit 1
}

# --- 2. A private broker, a fresh gateway directory --------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-demo.XXXXXX")
broker_pid="" agent_pid="" sim_pid="" upstream_pid=""

# free_port, wait_listening, stop_process (sets $stopped_status).
# shellcheck source=scripts/lib/processes.sh
. scripts/lib/processes.sh

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    stop_process "$sim_pid" 30 simulator
    stop_process "$upstream_pid" 30 upstream
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
origin="demo.edge-ledger.example/plant-7/gw-12"
api_port=$(free_port)
"$bin" init --dir "$gateway" --origin "$origin" \
    --broker "127.0.0.1:$broker_port" --topics "$filter" \
    --listen "127.0.0.1:$api_port" >"$work/init.log" 2>&1 || {
    cat "$work/init.log" >&2
    say "edge-ledger init failed"
    exit 1
}
if [ "$format" = sparkplug_b ]; then
    sed -i 's/^\( *\)format = "json" .*$/\1format = "sparkplug_b"/' "$gateway/edge-ledger.toml"
    grep -q 'format = "sparkplug_b"' "$gateway/edge-ledger.toml" || {
        say "cannot switch the topic to format = \"sparkplug_b\""
        exit 1
    }
fi
db="$gateway/data/ledger.db"
say "gateway: $gateway (edge-ledger.toml, keys/, verifier-keys.txt, data/ledger.db)"

# --- 2b. The reference upstream: witness, collector, anchoring hook -----------------------------
# It knows the gateway by its verifier key and pulls the gateway's API with a bearer token; the
# gateway knows the upstream's witness key and lists the token's hash under the upstream's name.
upstream="$work/upstream"
upstream_port=$(free_port)
mkdir -p "$upstream/anchors"
"$bin" keygen --alg ed25519 --name demo.edge-ledger.example/dc-1 --out "$upstream/keys" >"$work/keygen.log" 2>&1 || {
    cat "$work/keygen.log" >&2
    say "edge-ledger keygen failed"
    exit 1
}
pull_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
pull_token_sha256=$(printf %s "$pull_token" | sha256sum | cut -d' ' -f1)
# The anchoring hook, a stand-in for a ChainMaker client: it keeps each evidence document.
cat >"$upstream/anchor.sh" <<'HOOK'
#!/bin/sh
# Keeps the evidence document (JSON on stdin) as a new file in the directory $1.
tmp=$(mktemp "$1/.doc.XXXXXX") && cat >"$tmp" && mv "$tmp" "$tmp.json"
HOOK
{
    echo "# Reference upstream for the demo gateway (see docs/UPSTREAM.md)."
    upstream_config demo.edge-ledger.example/dc-1 keys/ed25519.key "$upstream_port" "$origin" \
        "http://127.0.0.1:$api_port" "$gateway/verifier-keys.txt" 'token_env = "DEMO_PULL_TOKEN"'
    cat <<TOML
pull_interval = "1s"

[gateways.backoff]
initial = "200ms"
max = "2s"

[anchor]
command = ["/bin/sh", "$upstream/anchor.sh", "$upstream/anchors"]

[metrics]
allow_anonymous = true
TOML
} >"$upstream/upstream.toml"
witness_key=$(DEMO_PULL_TOKEN=$pull_token "$upbin" run --config "$upstream/upstream.toml" --print-verifier-key 2>"$work/upstream-key.log") || {
    cat "$work/upstream-key.log" >&2
    say "edge-ledger-upstream --print-verifier-key failed"
    exit 1
}
cat >>"$gateway/edge-ledger.toml" <<TOML

# Added by scripts/demo.sh: the demo's reference upstream pulls with this token, acknowledges
# under the name dc-1, and cosigns every checkpoint pushed to it.
[[http.tokens]]
name = "dc-1"
token_sha256 = "$pull_token_sha256"

[[upstreams]]
name = "dc-1"
url = "http://127.0.0.1:$upstream_port"
verifier_key = "$witness_key"

[upstreams.backoff]
initial = "200ms"
max = "2s"
TOML
"$bin" check-config "$gateway/edge-ledger.toml" >"$work/check-config.log" 2>&1 || {
    cat "$work/check-config.log" >&2
    say "the gateway configuration with the upstream is invalid"
    exit 1
}
updb="$upstream/upstream.db"
say "upstream: $upstream (upstream.toml, keys/, anchor.sh, anchors/, upstream.db)"
say "upstream: witness key $witness_key"

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

DEMO_PULL_TOKEN=$pull_token setsid "$upbin" run --config "$upstream/upstream.toml" >"$work/upstream.log" 2>&1 &
upstream_pid=$!
wait_listening "$upstream_port" 30 || {
    tail -20 "$work/upstream.log" >&2
    say "the upstream did not start"
    exit 1
}
say "upstream: witness and collector on 127.0.0.1:$upstream_port (log: $work/upstream.log)"

setsid "$bin" simulate --broker "127.0.0.1:$broker_port" --sensors "$sensors" --rate "$rate" --qos 1 \
    --bad-every "$bad_every" --format "$format" --json >"$work/simulator.out" 2>"$work/simulator.log" &
sim_pid=$!
say "simulator: $sensors sensors ($format), $rate readings/s, QoS 1, every ${bad_every}th reading malformed"
if [ "$seconds" -gt 0 ]; then
    say "running for $seconds s"
else
    say "press Ctrl-C to stop"
fi

# --- 4. The live status line -------------------------------------------------------------------
# Read from the stores through read-only SQLite connections (WAL: never blocks the writers).
query() { sqlite3 -readonly -cmd ".timeout 2000" "$db" "$1" 2>/dev/null; }
upquery() { [ -f "$updb" ] && sqlite3 -readonly -cmd ".timeout 2000" "$updb" "$1" 2>/dev/null; }
# The upstream's view, as "verified|acked|anchored|cosigned": entries collected and checked
# against a signed checkpoint, acknowledged to the gateway, anchoring documents written, and the
# largest checkpoint of the gateway's that carries the witness's cosignature.
upstream_row() {
    local verified="" acked=""
    IFS='|' read -r verified acked <<<"$(upquery "SELECT verified_size, acked_size FROM gateways LIMIT 1" || true)"
    printf '%s|%s|%s|%s' "${verified:-0}" "${acked:-0}" \
        "$(find "$upstream/anchors" -name '*.json' | wc -l | tr -d ' ')" \
        "$(query "SELECT coalesce(max(checkpoint_size), 0) FROM cosignatures" || echo 0)"
}

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
    if ! kill -0 "$upstream_pid" 2>/dev/null; then
        echo >&2
        tail -20 "$work/upstream.log" >&2
        say "the upstream stopped unexpectedly"
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
    IFS='|' read -r up_verified up_acked up_anchored cosigned <<<"$(upstream_row)"
    line=$(printf '%4ds %5s/s %7d entries %4d checkpoints (sealed %d) %4d rejected | upstream: %d verified, %d acked, cosigned %d, %d anchored' \
        $((SECONDS - started)) "$per_second" "$entries" "$checkpoints" "$sealed" "$rejected" \
        "$up_verified" "$up_acked" "$cosigned" "$up_anchored")
    if [ $tty -eq 1 ]; then printf '\r\033[K%s' "$line"; else printf '%s\n' "$line"; fi
    if [ "$seconds" -gt 0 ] && [ $((SECONDS - started)) -ge "$seconds" ]; then break; fi
done
[ $tty -eq 1 ] && echo
trap - INT TERM

# --- 5. Stop in order, let the upstream catch up, show the latest checkpoint, verify -------------
say "stopping the simulator"
stop_process "$sim_pid" 30 simulator
sim_pid=""
head -1 "$work/simulator.out" >&2 || true
# The agent seals what is left within its seal interval; the upstream pulls, verifies,
# acknowledges and cosigns that last checkpoint. Bounded: the demo must stop by itself.
say "waiting for the upstream to collect, verify and cosign the last checkpoint"
deadline=$((SECONDS + 60))
caught_up=0 entries=0 sealed=0 up_verified=0
while [ $SECONDS -lt $deadline ]; do
    IFS='|' read -r entries sealed <<<"$(query "SELECT (SELECT coalesce(max(idx) + 1, 0) FROM entries),
        (SELECT coalesce(max(size), 0) FROM checkpoints)" || echo "0|0")"
    IFS='|' read -r up_verified up_acked up_anchored cosigned <<<"$(upstream_row)"
    if [ "${entries:-0}" -gt 0 ] && [ "$sealed" = "$entries" ] && [ "$up_verified" = "$entries" ] &&
        [ "$up_acked" = "$entries" ] && [ "$cosigned" = "$entries" ]; then
        caught_up=1
        break
    fi
    sleep 0.5
done
if [ $caught_up -eq 1 ]; then
    say "upstream: caught up at $entries entries"
else
    say "the upstream did not catch up within 60 s (verified ${up_verified:-0} of ${entries:-0})"
fi
if command -v curl >/dev/null 2>&1; then
    echo
    echo "Upstream metrics (curl http://127.0.0.1:$upstream_port/metrics, non-zero samples):"
    curl -fsS --max-time 5 "http://127.0.0.1:$upstream_port/metrics" 2>/dev/null |
        grep -E '^edge_ledger_(collector_(entries|lag_entries|checkpoints_verified_total|pull_failures_total)|witness_cosignatures_total|anchor_(completed|failures)_total)' |
        grep -v ' 0$' | sed 's/^/    /' || true
fi
say "stopping the upstream"
stop_process "$upstream_pid" 30 upstream
upstream_pid=""
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
echo "Latest checkpoint (C2SP signed note as GET /checkpoint serves it: the gateway's signature,"
echo "then the cosignature lines of the witnesses that cosigned it):"
echo
query "SELECT rtrim(note, char(10)) || coalesce(char(10) || (SELECT group_concat(line, char(10)) FROM cosignatures
         WHERE checkpoint_size = c.size), '') FROM checkpoints AS c ORDER BY size DESC LIMIT 1" | sed 's/^/    /'
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

# What the upstream holds, compared with the gateway: the same size and root, acknowledged,
# cosigned, anchored. The upstream re-verified every entry itself before counting it.
IFS='|' read -r sealed sealed_root <<<"$(query "SELECT size, hex(root) FROM checkpoints ORDER BY size DESC LIMIT 1")"
IFS='|' read -r up_verified up_root up_acked <<<"$(upquery "SELECT verified_size, hex(verified_root), acked_size
    FROM gateways LIMIT 1" || true)"
up_checkpoints=$(upquery "SELECT count(*) FROM checkpoints" || echo 0)
up_anchored=$(upquery "SELECT count(*) FROM anchor_queue WHERE done_at IS NOT NULL" || echo 0)
cosigned=$(query "SELECT coalesce(max(checkpoint_size), 0) FROM cosignatures" || echo 0)
echo
echo "Upstream ($updb):"
echo "    entries collected and verified: ${up_verified:-0} (the gateway has $entries)"
echo "    verified root:                  ${up_root:-none}"
echo "    gateway's latest checkpoint:    ${sealed_root:-none} (size ${sealed:-0})"
echo "    acknowledged to the gateway:    ${up_acked:-0}"
echo "    checkpoints verified:           ${up_checkpoints:-0}, anchored: ${up_anchored:-0}" \
    "(documents in $upstream/anchors)"
echo "    cosigned by the witness:        the gateway's checkpoint at ${cosigned:-0}"
upstream_status=0
if [ "${up_verified:-0}" = "$entries" ] && [ "${sealed:-x}" = "$entries" ] && [ "${up_root:-x}" = "${sealed_root:-y}" ] &&
    [ "${up_acked:-0}" = "$entries" ] && [ "${cosigned:-0}" = "$entries" ]; then
    say "upstream verification ok: it holds all $entries entries under the gateway's signed root, acknowledged and cosigned"
else
    upstream_status=1
    tail -20 "$work/upstream.log" >&2
    say "upstream MISMATCH: it does not hold the gateway's whole log, acknowledged and cosigned (see above)"
fi
[ $verified -eq 0 ] || exit $verified
exit $upstream_status
