#!/usr/bin/env bash
# Ingest benchmark: the agent against the broker's own ceiling, measured in the same run.
#
# For each QoS level and each repetition, with a fresh private mosquitto each time:
#   ceiling: `edge-ledger simulate` publishes COUNT readings as fast as possible (in-flight
#            window 1000) and scripts/bench/mqtt-counter (libmosquitto, threaded mode,
#            persistent session, same QoS, does nothing but count) receives them;
#   agent:   the same publisher, same broker settings, and `edge-ledger run` (release build,
#            the configuration `edge-ledger init` writes) stores them.
# Throughput = readings received/stored / time from the first to the last one (the counter's
# clock; the agent's entries' received_at). CPU per reading = the consumer process's user+system
# CPU / readings (counter: getrusage at exit; agent: /proc/PID/stat from after its warm-up
# until everything is stored, so it includes the sealer). Max RSS = the agent's VmHWM.
# Medians over the repetitions and the ratios against the targets are printed as a Markdown
# table (docs/PERFORMANCE.md, "Ingest").
#
# Usage:  scripts/bench-ingest.sh
# Environment:
#   COUNT=N        readings per measurement (default 200000); FULL=1 sets 1000000
#   RUNS=N         repetitions per QoS (default 3)
#   QOS="0 1"      QoS levels to measure
#   SENSORS=20 INFLIGHT=1000 CONNECTIONS=2   simulator settings (see `edge-ledger simulate --help`)
#   EDGE_LEDGER=PATH   a release edge-ledger to use instead of building one
#   OUT=FILE       also write the result table to FILE
#   NICE=N         run the benchmark in a session of its own whose scheduler autogroup (and
#                  every process) has this nice level, e.g. NICE=-15 as root: on a machine
#                  shared with builds, the figures then describe the software, not the load.
#                  (With autogroups, per-process nice alone does not help: every terminal
#                  session gets an equal share of the CPUs.)
#   FORMAT=sparkplug_b  Sparkplug B NDATA with METRICS metrics each (default 10) from one edge node
#                  per sensor (`simulate --format sparkplug_b`), the agent subscribing
#                  spBv1.0/bench/# with format = "sparkplug_b" (decoded, host state kept), the
#                  counter the same filter; default json
#   DURABILITY=power   storage.durability of the agent (default process; power costs an
#                  fdatasync per QoS 1 reading: use a small COUNT)
#   RECEIVE_MAXIMUM=N  the agent speaks MQTT 5 (protocol = "5") and announces this
#                  mqtt.receive_maximum (how many unacknowledged readings the broker may have in
#                  flight to it); unset: MQTT 3.1.1, where the broker's max_inflight_messages
#                  (1000 here) applies
#   KEEP=1         keep the working directory (broker configs, agent logs, stores)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${NICE:-0}" != 0 ] && [ -z "${BENCH_INGEST_SESSION:-}" ]; then
    # A new session is a new autogroup; its nice level is set below. Ctrl-C here stops it.
    BENCH_INGEST_SESSION=1 setsid "$0" "$@" &
    session=$!
    trap 'kill -TERM -- "-$session" 2>/dev/null || true' INT TERM
    status=0
    wait "$session" || status=$?
    if kill -0 "$session" 2>/dev/null; then wait "$session" || status=$?; fi
    exit "$status"
fi
if [ -n "${BENCH_INGEST_SESSION:-}" ]; then
    trap 'exit 143' TERM
    echo "${NICE}" >/proc/self/autogroup 2>/dev/null ||
        printf 'bench: cannot set the autogroup nice level (needs root and CONFIG_SCHED_AUTOGROUP)\n' >&2
fi

count=${COUNT:-200000}
[ "${FULL:-0}" = 1 ] && count=1000000
runs=${RUNS:-3}
qos_levels=${QOS:-"0 1"}
sensors=${SENSORS:-20}
inflight=${INFLIGHT:-1000}
connections=${CONNECTIONS:-2}
nice_level=${NICE:-0}
durability=${DURABILITY:-process}
format=${FORMAT:-json}
metrics=${METRICS:-10}
case $format in json | sparkplug_b) ;; *) echo "bench: FORMAT must be json or sparkplug_b" >&2; exit 2 ;; esac
filter="bench/+/telemetry" extra=() topics="bench/+/telemetry"
if [ "$format" = sparkplug_b ]; then
    filter="spBv1.0/bench/#" topics="bench/+/telemetry,spBv1.0/bench/#"
    extra=(--format sparkplug_b --metrics "$metrics")
fi
case $durability in process | power) ;; *) echo "bench: DURABILITY must be process or power" >&2; exit 2 ;; esac
niced=()
[ "$nice_level" = 0 ] || niced=(nice -n "$nice_level")

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    say "$*"
    exit 1
}

for tool in cc sqlite3 mosquitto_pub; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing; run scripts/setup.sh (and install a C compiler)"
done
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosquitto_bin" ] || die "mosquitto is missing; run scripts/setup.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-bench.XXXXXX")
broker_pid="" consumer_pid=""
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    for pid in $consumer_pid $broker_pid; do kill -TERM "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- binaries ----------------------------------------------------------------------------------
if [ -n "${EDGE_LEDGER:-}" ]; then
    bin=$EDGE_LEDGER
else
    say "building edge-ledger (release)"
    swift build -c release --product edge-ledger >"$work/build.log" 2>&1 || {
        grep "error:" "$work/build.log" | head -20 >&2
        die "build failed"
    }
    bin="$(swift build -c release --show-bin-path)/edge-ledger"
fi
[ -x "$bin" ] || die "no edge-ledger at $bin"
counter="$work/mqtt-counter"
cc -O2 -Wall -o "$counter" scripts/bench/mqtt-counter.c -lmosquitto || die "cannot build mqtt-counter"

# --- helpers -----------------------------------------------------------------------------------
# free_port, wait_listening, stop_process (sets $stopped_status).
# shellcheck source=scripts/lib/processes.sh
. scripts/lib/processes.sh

broker_port=""
start_broker() {
    broker_port=$(free_port)
    cat >"$work/mosquitto.conf" <<EOF
listener $broker_port 127.0.0.1
allow_anonymous true
max_queued_messages 10000000
max_inflight_messages 1000
log_dest stderr
log_type error
log_type warning
EOF
    "${niced[@]}" "$mosquitto_bin" -c "$work/mosquitto.conf" >>"$work/mosquitto.log" 2>&1 &
    broker_pid=$!
    wait_listening "$broker_port" 10 || die "mosquitto did not start (see $work/mosquitto.log)"
}

stop_broker() {
    stop_process "$broker_pid" 10 broker
    broker_pid=""
}


json_field() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p" | head -1; }

publish() { # $1 qos, $2 seed
    "${niced[@]}" "$bin" simulate --broker "127.0.0.1:$broker_port" --sensors "$sensors" --rate 0 --qos "$1" \
        --count "$count" --inflight "$inflight" --connections "$connections" --topic-prefix bench \
        --seed "$2" --client-id "bench-publisher" "${extra[@]}" --json 2>>"$work/simulator.log" | tail -1
}

query() { sqlite3 -readonly -cmd ".timeout 5000" "$1" "$2"; }

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# --- the two measurements ----------------------------------------------------------------------
# Sets: r_rate, r_cpu_us, r_count, r_pub_rate
measure_ceiling() { # $1 qos, $2 run
    local q=$1 run=$2 out="$work/counter-$1-$2.out"
    start_broker
    "${niced[@]}" "$counter" -p "$broker_port" -t "$filter" -q "$q" -i "bench-counter" -n "$count" -w 10 >"$out" 2>&1 &
    consumer_pid=$!
    local deadline=$((SECONDS + 10))
    until grep -qs subscribed "$out"; do
        [ $SECONDS -lt $deadline ] || die "mqtt-counter did not subscribe: $(cat "$out")"
        sleep 0.05
    done
    local pub
    pub=$(publish "$q" "$run")
    wait "$consumer_pid" || say "mqtt-counter: not every reading arrived: $(tail -1 "$out")"
    consumer_pid=""
    stop_broker
    local result
    result=$(tail -1 "$out")
    r_count=$(json_field count <<<"$result")
    r_rate=$(json_field rate <<<"$result")
    r_cpu_us=$(json_field cpu_us_per_reading <<<"$result")
    r_pub_rate=$(json_field rate <<<"$pub")
}

# Sets: r_rate, r_cpu_us, r_count, r_pub_rate, r_rss_kib
measure_agent() { # $1 qos, $2 run
    local q=$1 run=$2 gw="$work/gateway-$1-$2"
    start_broker
    "$bin" init --dir "$gw" --origin "bench.edge-ledger.example/gw" --broker "127.0.0.1:$broker_port" \
        --topics "$topics" --listen "127.0.0.1:$(free_port)" >"$gw.init.log" 2>&1 ||
        die "edge-ledger init failed: $(cat "$gw.init.log")"
    if [ "$format" = sparkplug_b ]; then
        # The Sparkplug filter's entry decodes Sparkplug B; the JSON one stays for the warm-up.
        awk '/^filter = "spBv1.0\// { sp = 1 } sp && /^format = / { sub(/"json"/, "\"sparkplug_b\""); sp = 0 } { print }' \
            "$gw/edge-ledger.toml" >"$gw/edge-ledger.toml.new" && mv "$gw/edge-ledger.toml.new" "$gw/edge-ledger.toml"
        grep -q '^format = "sparkplug_b"' "$gw/edge-ledger.toml" || die "cannot set the Sparkplug filter's format"
    fi
    if [ "$durability" != process ]; then
        sed -i -E "s/^durability = \"process\"/durability = \"$durability\"/" "$gw/edge-ledger.toml"
        grep -q "^durability = \"$durability\"" "$gw/edge-ledger.toml" ||
            die "cannot set storage.durability in $gw/edge-ledger.toml"
    fi
    if [ -n "${RECEIVE_MAXIMUM:-}" ]; then
        sed -i -E "s/^\[mqtt\]$/[mqtt]\nprotocol = \"5\"\nreceive_maximum = $RECEIVE_MAXIMUM/" "$gw/edge-ledger.toml"
        grep -q "^receive_maximum = $RECEIVE_MAXIMUM" "$gw/edge-ledger.toml" ||
            die "cannot set mqtt.receive_maximum in $gw/edge-ledger.toml"
    fi
    local db="$gw/data/ledger.db"
    "${niced[@]}" "$bin" run --config "$gw/edge-ledger.toml" 2>"$gw/agent.log" &
    consumer_pid=$!
    # Warm-up: probe readings until one is stored, so the subscription exists and the store is
    # open before the clock starts.
    local deadline=$((SECONDS + 60)) entries=0
    while :; do
        kill -0 "$consumer_pid" 2>/dev/null || die "the agent exited: $(tail -5 "$gw/agent.log")"
        [ $SECONDS -lt $deadline ] || die "the agent stored no warm-up reading (see $gw/agent.log)"
        mosquitto_pub -p "$broker_port" -q 1 -t bench/warmup/telemetry -m '{"warmup":true}' 2>/dev/null || true
        for _ in $(seq 20); do
            [ -f "$db" ] && entries=$(query "$db" "SELECT coalesce(max(idx) + 1, 0) FROM entries" 2>/dev/null || echo 0)
            [ "${entries:-0}" -gt 0 ] && break 2
            sleep 0.1
        done
    done
    sleep 0.3
    local base
    base=$(query "$db" "SELECT coalesce(max(idx) + 1, 0) FROM entries")
    local ticks0
    ticks0=$(cpu_ticks "$consumer_pid")
    local pub
    pub=$(publish "$q" "$run")
    # Wait until everything is stored (or nothing more arrives for 10 s).
    local target=$((base + count)) last=-1 idle_since=$SECONDS
    while :; do
        entries=$(query "$db" "SELECT coalesce(max(idx) + 1, 0) FROM entries")
        [ "$entries" -ge "$target" ] && break
        if [ "$entries" -ne "$last" ]; then
            last=$entries idle_since=$SECONDS
        elif [ $((SECONDS - idle_since)) -ge 10 ]; then
            say "agent: only $((entries - base)) of $count readings stored"
            break
        fi
        sleep 0.5
    done
    local ticks1
    ticks1=$(cpu_ticks "$consumer_pid")
    r_rss_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$consumer_pid/status")
    stop_process "$consumer_pid" 60 agent
    consumer_pid=""
    [ "$stopped_status" = 0 ] || say "agent exited with status $stopped_status (see $gw/agent.log)"
    stop_broker
    local row
    row=$(query "$db" "SELECT count(*), min(received_at), max(received_at) FROM entries WHERE idx >= $base")
    local first last_at
    IFS='|' read -r r_count first last_at <<<"$row"
    r_rate=$(awk -v n="$r_count" -v a="$first" -v b="$last_at" 'BEGIN { printf "%.1f", (b > a) ? (n - 1) / ((b - a) / 1e9) : 0 }')
    r_cpu_us=$(awk -v t=$((ticks1 - ticks0)) -v hz="$CLK_TCK" -v n="$r_count" 'BEGIN { printf "%.3f", n ? t / hz * 1e6 / n : 0 }')
    r_pub_rate=$(json_field rate <<<"$pub")
    [ "${KEEP:-0}" = 1 ] || rm -rf "$gw"
}

# --- run ---------------------------------------------------------------------------------------
model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
say "machine: $(nproc) CPUs, ${model:-unknown CPU}; load average $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$format" = json ] || say "Sparkplug B: NDATA with $metrics metrics, one edge node per sensor"
say "$count readings per measurement, $runs runs per QoS, $sensors sensors, in-flight window $inflight over $connections connection(s), nice $nice_level, durability $durability"
[ "$nice_level" != 0 ] || awk '{ exit ($1 > 1.0) ? 0 : 1 }' /proc/loadavg &&
    say "warning: the machine is busy (load > 1); figures will be lower and noisier than on an idle machine"

declare -A ceiling_rate ceiling_cpu agent_rate agent_cpu agent_rss
max_rss=0
for q in $qos_levels; do
    for run in $(seq "$runs"); do
        measure_ceiling "$q" "$run"
        ceiling_rate[$q]+="$r_rate "
        ceiling_cpu[$q]+="$r_cpu_us "
        say "QoS $q run $run  ceiling: $r_count readings, $r_rate/s, $r_cpu_us µs CPU each (publisher $r_pub_rate/s)"
        measure_agent "$q" "$run"
        agent_rate[$q]+="$r_rate "
        agent_cpu[$q]+="$r_cpu_us "
        agent_rss[$q]+="$r_rss_kib "
        [ "$r_rss_kib" -gt "$max_rss" ] && max_rss=$r_rss_kib
        say "QoS $q run $run  agent:   $r_count readings, $r_rate/s, $r_cpu_us µs CPU each, VmHWM $((r_rss_kib / 1024)) MiB (publisher $r_pub_rate/s)"
    done
done
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo "| QoS | ceiling readings/s | agent readings/s | agent/ceiling (target) | counter CPU µs/reading | agent CPU µs/reading | agent/counter (target) |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for q in $qos_levels; do
        cr=$(median <<<"${ceiling_rate[$q]}")
        ar=$(median <<<"${agent_rate[$q]}")
        cc_=$(median <<<"${ceiling_cpu[$q]}")
        ac=$(median <<<"${agent_cpu[$q]}")
        target=$([ "$q" = 0 ] && echo 0.9 || echo 0.8)
        awk -v q="$q" -v cr="$cr" -v ar="$ar" -v cc="$cc_" -v ac="$ac" -v t="$target" 'BEGIN {
            r = cr > 0 ? ar / cr : 0; c = cc > 0 ? ac / cc : 0
            printf "| %s | %.0f | %.0f | %.2f (≥ %s %s) | %.1f | %.1f | %.2f (≤ 2 %s) |\n", q, cr, ar, r, t,
                (r >= t ? "✓" : "✗"), cc, ac, c, (c <= 2 ? "✓" : "✗") }'
    done
    awk -v k="$max_rss" -v n="$count" 'BEGIN { printf "\nAgent max RSS (VmHWM) over all runs of %d readings: %.1f MiB (target < 64 MiB %s)\n",
        n, k / 1024, (k < 65536 ? "✓" : "✗") }'
    echo
    echo "Medians of $runs runs; $count readings per run; $sensors sensors; in-flight window $inflight over $connections publisher connection(s); nice $nice_level."
    echo "Machine: $(nproc) CPUs, ${model:-unknown CPU}; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "Per-run values — ceiling readings/s: $(for q in $qos_levels; do printf 'QoS %s: %s; ' "$q" "${ceiling_rate[$q]}"; done)"
    echo "agent readings/s: $(for q in $qos_levels; do printf 'QoS %s: %s; ' "$q" "${agent_rate[$q]}"; done)"
    echo "counter CPU µs: $(for q in $qos_levels; do printf 'QoS %s: %s; ' "$q" "${ceiling_cpu[$q]}"; done)"
    echo "agent CPU µs: $(for q in $qos_levels; do printf 'QoS %s: %s; ' "$q" "${agent_cpu[$q]}"; done)"
} | tee "${OUT:-/dev/null}"
