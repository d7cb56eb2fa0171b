#!/usr/bin/env bash
# Catch-up benchmark, end to end with real processes: a gateway (`edge-ledger run`) holds a sealed
# backlog of BACKLOG readings; the reference upstream (`edge-ledger-upstream`) starts and pulls,
# re-verifies and stores all of it over loopback while a publisher keeps the agent ingesting
# QoS 1 readings as fast as it can. The same QoS 1 stream is measured once before, with no
# upstream, as the baseline.
#
# Prints: catch-up entries/s (BACKLOG / time from the upstream's start until it holds a verified
# checkpoint covering the backlog) for a fresh upstream alone and for another one while the
# stream flows, the agent's ingest rate during the catch-up against the baseline, the agent's
# RSS (VmRSS sampled every 0.5 s) before, during and after, and, for the catch-up alone, the CPU
# time per entry of each side: the agent serving (what the gateway pays) and the upstream
# fetching, verifying and storing (what the data centre pays). Their sum against the 2 cores
# shows how much of the rate during ingest is CPU competition on this one machine.
#
# Usage:  scripts/bench-catchup.sh
# Environment:
#   BACKLOG=N       entries the upstream must catch up on (default 1000000)
#   STREAM=N        QoS 1 readings published during the baseline and during the catch-up
#                   (default 200000)
#   EDGE_LEDGER=PATH   a release edge-ledger to use instead of building one
#   NICE=N          nice level for every process (e.g. -15 on a shared machine, as root)
#   KEEP=1          keep the working directory
set -euo pipefail
cd "$(dirname "$0")/.."

backlog=${BACKLOG:-1000000}
stream=${STREAM:-200000}
niced=()
[ "${NICE:-0}" = 0 ] || niced=(nice -n "$NICE")

say() { printf 'bench-catchup: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}
# shellcheck source=scripts/lib/processes.sh
. scripts/lib/processes.sh

scripts/setup.sh >/dev/null
if [ -n "${EDGE_LEDGER:-}" ]; then
    bin=$EDGE_LEDGER
else
    say "building edge-ledger (release)"
    swift build -c release --product edge-ledger >/dev/null
    swift build -c release --product edge-ledger-upstream >/dev/null
    bin="$(swift build -c release --show-bin-path)/edge-ledger"
fi
upbin=${EDGE_LEDGER_UPSTREAM:-$(dirname "$bin")/edge-ledger-upstream}
[ -x "$bin" ] && [ -x "$upbin" ] || die "no edge-ledger and edge-ledger-upstream binaries at $bin and $upbin"

work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-catchup.XXXXXX")
broker_pid="" agent_pid="" upstream_pid="" sampler_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
    stop_process "$upstream_pid" 30 upstream
    stop_process "$agent_pid" 60 agent
    stop_process "$broker_pid" 10 broker
    if [ "${KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
query() { sqlite3 -readonly -cmd ".timeout 5000" "$1" "$2" 2>/dev/null || true; }
rss_mib() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# Waits until `query $1 $2` prints a number >= $3 (at most $4 seconds).
wait_for() {
    local deadline=$((SECONDS + $4)) value
    while :; do
        value=$(query "$1" "$2")
        [ "${value:-0}" -ge "$3" ] && return 0
        [ $SECONDS -lt "$deadline" ] || {
            say "timed out waiting for $2 >= $3 (at ${value:-0})"
            return 1
        }
        sleep 0.2
    done
}

broker_port=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 1000\nmax_queued_messages 10000000\n' \
    "$broker_port" >"$work/mosquitto.conf"
setsid "${niced[@]}" mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker_pid=$!
wait_listening "$broker_port" 10 || die "mosquitto did not start"

gateway="$work/gateway"
origin="bench.edge-ledger.example/catchup"
api_port=$(free_port)
"$bin" init --dir "$gateway" --origin "$origin" --broker "127.0.0.1:$broker_port" \
    --topics "bench/+/telemetry" --listen "127.0.0.1:$api_port" >"$work/init.log" 2>&1 ||
    die "edge-ledger init failed: $(cat "$work/init.log")"
db="$gateway/data/ledger.db"
pull_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
cat >>"$gateway/edge-ledger.toml" <<TOML

[[http.tokens]]
name = "dc-bench"
token_sha256 = "$(printf %s "$pull_token" | sha256sum | cut -d' ' -f1)"
TOML

upstream="$work/upstream"
upstream_port=$(free_port)
"$bin" keygen --alg ed25519 --name bench.edge-ledger.example/dc --out "$upstream/keys" >/dev/null 2>&1 ||
    die "edge-ledger keygen failed"
{
    upstream_config bench.edge-ledger.example/dc keys/ed25519.key "$upstream_port" "$origin" \
        "http://127.0.0.1:$api_port" "$gateway/verifier-keys.txt" 'token_env = "BENCH_PULL_TOKEN"'
    echo 'pull_interval = "1s"'
} >"$upstream/upstream.toml"

setsid "${niced[@]}" "$bin" run --config "$gateway/edge-ledger.toml" >"$work/agent.log" 2>&1 &
agent_pid=$!
deadline=$((SECONDS + 60))
until grep -q "broker connected" "$work/agent.log" 2>/dev/null; do
    if ! kill -0 "$agent_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        die "the agent did not connect: $(tail -5 "$work/agent.log")"
    fi
    sleep 0.1
done
sleep 0.5 # the SUBACK follows the CONNACK

publish() { # $1 qos, $2 count, $3 client id
    "${niced[@]}" "$bin" simulate --broker "127.0.0.1:$broker_port" --sensors 20 --rate 0 --qos "$1" \
        --count "$2" --inflight 1000 --connections 2 --topic-prefix bench --client-id "$3" --json \
        2>>"$work/simulator.log" | tail -1
}

# 1. The backlog: sealed, nobody has pulled it.
say "writing a backlog of $backlog entries (QoS 0, as fast as possible)"
publish 0 "$backlog" backlog >/dev/null
wait_for "$db" "SELECT coalesce(max(size), 0) FROM checkpoints" "$backlog" 600 ||
    die "the backlog was not sealed (stored $(query "$db" "SELECT count(*) FROM entries"))"
backlog_size=$(query "$db" "SELECT max(size) FROM checkpoints")
say "backlog sealed at size $backlog_size; agent RSS $(rss_mib "$agent_pid") MiB"

# 2. Baseline: the QoS 1 stream with no upstream.
start_size=$(query "$db" "SELECT count(*) FROM entries")
t0=$(now)
publish 1 "$stream" baseline >/dev/null
wait_for "$db" "SELECT count(*) FROM entries" "$((start_size + stream))" 600 || die "baseline stream not stored"
t1=$(now)
baseline_rate=$(rate "$stream" "$t0" "$t1")
say "baseline: $stream QoS 1 readings stored at $baseline_rate/s; agent RSS $(rss_mib "$agent_pid") MiB"
wait_for "$db" "SELECT coalesce(max(size), 0) FROM checkpoints" "$((start_size + stream))" 60 || true
rss_before=$(rss_mib "$agent_pid")

# 3. Catch-up by a fresh upstream: once alone, once while the same stream flows. Each run gets
# its own upstream store; sets t_up, t_caught, t0, t_stream.
catch_up() { # $1 name, $2 1 = with the QoS 1 stream
    local name=$1 with_stream=$2 updb="$upstream/$1.db" publisher_pid="" deadline
    sed "s|^path = .*|path = \"$name.db\"|" "$upstream/upstream.toml" >"$upstream/$name.toml"
    start_size=$(query "$db" "SELECT count(*) FROM entries")
    t_up=$(now)
    agent_ticks0=$(cpu_ticks "$agent_pid")
    BENCH_PULL_TOKEN=$pull_token setsid "${niced[@]}" "$upbin" run --config "$upstream/$name.toml" \
        >"$work/upstream-$name.log" 2>&1 &
    upstream_pid=$!
    t0=$(now)
    t_caught=""
    t_stream=""
    if [ "$with_stream" = 1 ]; then
        publish 1 "$stream" "$name" >/dev/null &
        publisher_pid=$!
    else
        t_stream=$t0
    fi
    deadline=$((SECONDS + 900))
    while [ -z "$t_caught" ] || [ -z "$t_stream" ]; do
        if [ -z "$t_caught" ] && [ -f "$updb" ] &&
            [ "$(query "$updb" "SELECT coalesce(max(verified_size), 0) FROM gateways")" -ge "$backlog_size" ]; then
            t_caught=$(now)
            agent_ticks1=$(cpu_ticks "$agent_pid")
            upstream_ticks=$(cpu_ticks "$upstream_pid")
            say "$name: upstream caught up on $backlog_size entries in $(elapsed "$t_up" "$t_caught") s"
        fi
        if [ -z "$t_stream" ] && [ "$(query "$db" "SELECT count(*) FROM entries")" -ge "$((start_size + stream))" ]; then
            t_stream=$(now)
            say "$name: $stream readings stored meanwhile in $(elapsed "$t0" "$t_stream") s"
        fi
        kill -0 "$upstream_pid" 2>/dev/null || die "the upstream stopped: $(tail -5 "$work/upstream-$name.log")"
        [ $SECONDS -lt $deadline ] || die "no catch-up within 900 s"
        sleep 0.1
    done
    [ -z "$publisher_pid" ] || wait "$publisher_pid" || true
    stop_process "$upstream_pid" 30 upstream
    upstream_pid=""
}

catch_up alone 0
alone_rate=$(rate "$backlog_size" "$t_up" "$t_caught")
alone_time=$(elapsed "$t_up" "$t_caught")
per_entry_us() { awk -v t="$1" -v hz="$CLK_TCK" -v n="$backlog_size" 'BEGIN { printf "%.2f", t / hz * 1e6 / n }'; }
agent_us=$(per_entry_us $((agent_ticks1 - agent_ticks0)))
upstream_us=$(per_entry_us "$upstream_ticks")
(
    while kill -0 "$agent_pid" 2>/dev/null; do
        rss_mib "$agent_pid"
        echo
        sleep 0.5
    done
) >"$work/rss.txt" &
sampler_pid=$!
catch_up during 1
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=""
rss_after=$(rss_mib "$agent_pid")
rss_max=$(sort -n "$work/rss.txt" | tail -1)
catchup_rate=$(rate "$backlog_size" "$t_up" "$t_caught")
during_rate=$(rate "$stream" "$t0" "$t_stream")

cat <<EOF

| measure | value |
| --- | ---: |
| backlog caught up by a fresh upstream, nothing else running (fetch + verify + store, from the upstream's start) | $backlog_size entries in $alone_time s = **$alone_rate entries/s** (target ≥ 200,000) |
| CPU per entry during that catch-up: the agent serving / the upstream (from its start) | $agent_us / $upstream_us µs |
| the same while the agent ingests QoS 1 at full speed on the same 2 cores | $backlog_size entries in $(elapsed "$t_up" "$t_caught") s = **$catchup_rate entries/s** |
| agent QoS 1 ingest without an upstream | $baseline_rate readings/s |
| agent QoS 1 ingest during the catch-up | $during_rate readings/s ($(awk -v a="$during_rate" -v b="$baseline_rate" 'BEGIN { printf "%.2f", a / b }')× the baseline) |
| agent RSS before / max during / after | $rss_before / $rss_max / $rss_after MiB |

Machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg). $backlog-entry backlog, $stream-reading QoS 1 streams.
EOF
