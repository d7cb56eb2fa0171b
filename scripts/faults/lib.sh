# shellcheck shell=bash
# Shared helpers of the fault scenarios in scripts/faults/ (sourced, not run).
#
# Every scenario is a black-box test of the real `edge-ledger` binary against a real mosquitto:
# it only uses the documented command line (init, run, simulate, export, verify, status), the
# agent's HTTP API (/readyz, /metrics, the tlog-tiles endpoints), signals and files.
#
# Environment:
#   EDGE_LEDGER=PATH   the binary (default: .build/debug/edge-ledger, else .build/release/...)
#   FAULTS_KEEP=1      keep the scenario's work directory (logs, stores) afterwards
#   FAULTS_VERBOSE=1   print progress lines (always on a terminal)

set -euo pipefail

FAULTS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FAULTS_DIR="$FAULTS_ROOT/scripts/faults"
SCENARIO=${SCENARIO:-$(basename "$0" .sh)}
TOKEN="faults-token-$$-$RANDOM$RANDOM"

say() { printf '%s: %s\n' "$SCENARIO" "$*" >&2; }
progress() { if [ "${FAULTS_VERBOSE:-0}" = 1 ] || [ -t 2 ]; then say "$@"; fi; }
die() {
    say "FAILED: $*"
    exit 1
}

# parse_options LONG PAIRS ARGS...: the scenario's command line. --ci keeps the defaults (the
# CI size), --long evaluates LONG (assignments such as 'kills=100 count=200000'), and for each
# NAME=VAR in PAIRS, --NAME N sets VAR to the whole number N.
parse_options() {
    local long=$1 pairs=$2 pair found
    shift 2
    while [ $# -gt 0 ]; do
        case $1 in
        --ci) ;;
        --long) eval "$long" ;;
        *)
            found=""
            for pair in $pairs; do
                [ "--${pair%%=*}" = "$1" ] || continue
                [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || { say "$1 needs a whole number"; exit 64; }
                printf -v "${pair#*=}" '%s' "$2"
                found=1
                shift
                break
            done
            [ -n "$found" ] || { say "unknown option $1"; exit 64; }
            ;;
        esac
        shift
    done
}

# --- the binary and the tools ---------------------------------------------------------------
resolve_binary() {
    if [ -n "${EDGE_LEDGER:-}" ]; then
        BIN=$EDGE_LEDGER
    elif [ -x "$FAULTS_ROOT/.build/debug/edge-ledger" ]; then
        BIN="$FAULTS_ROOT/.build/debug/edge-ledger"
    elif [ -x "$FAULTS_ROOT/.build/release/edge-ledger" ]; then
        BIN="$FAULTS_ROOT/.build/release/edge-ledger"
    else
        say "no edge-ledger binary: run 'swift build --product edge-ledger' or set EDGE_LEDGER=PATH"
        exit 2
    fi
    [ -x "$BIN" ] || {
        say "EDGE_LEDGER=$BIN is not executable"
        exit 2
    }
    # The upstream's executable, built beside the gateway's.
    UPSTREAM_BIN=${EDGE_LEDGER_UPSTREAM:-$(dirname "$BIN")/edge-ledger-upstream}
}

need() {
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
            say "$tool is missing (see 'Running them' in docs/RELIABILITY.md)"
            exit 2
        }
    done
}

# --- work directory, processes, cleanup -------------------------------------------------------
PIDS=()
CLEANUPS=()
WORK=""

fault_start() {
    resolve_binary
    need mosquitto curl python3
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-$SCENARIO.XXXXXX")
    trap fault_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Runs a command at exit (before the processes are stopped and the directory removed).
at_exit() { CLEANUPS+=("$*"); }

fault_cleanup() {
    local status=$? pid c
    set +e
    for pid in "${PIDS[@]}"; do
        kill -CONT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for c in "${CLEANUPS[@]}"; do eval "$c"; done
    if [ -n "$WORK" ]; then
        if [ "${FAULTS_KEEP:-0}" = 1 ] || { [ $status -ne 0 ] && [ "${FAULTS_KEEP_ON_FAILURE:-0}" = 1 ]; }; then
            say "kept $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit $status
}

track() { PIDS+=("$1"); }
untrack() {
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}
# reap PID SIGNAL: sends SIGNAL to PID (nothing when PID is empty), reaps it and stops tracking it.
reap() {
    [ -n "$1" ] || return 0
    kill "-$2" "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    untrack "$1"
}

# free_port (a loopback port below the ephemeral range) and listening PORT, shared with the
# demo and the benchmarks.
# shellcheck source=scripts/lib/processes.sh
. "$FAULTS_ROOT/scripts/lib/processes.sh"

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s; fails with DESCRIPTION.
wait_until() {
    # shellcheck disable=SC2034 # what: names the wait for the reader
    local limit=$1 what=$2
    shift 2
    local deadline=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.1
    done
}


# --- the broker -------------------------------------------------------------------------------
BROKER_PORT=""
BROKER_PID=""

# start_broker [extra mosquitto.conf lines]: persistent, large queues (the agent's session keeps
# every reading while the agent is down).
start_broker() {
    [ -n "$BROKER_PORT" ] || BROKER_PORT=$(free_port)
    mkdir -p "$WORK/broker"
    cat >"$WORK/broker/mosquitto.conf" <<EOF
listener $BROKER_PORT 127.0.0.1
allow_anonymous true
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 1000
persistence true
user $(id -un)
persistence_location $WORK/broker/
autosave_interval 1
log_dest stderr
log_type error
log_type warning
log_type notice
connection_messages true
${1:-}
EOF
    mosquitto -c "$WORK/broker/mosquitto.conf" >>"$WORK/broker/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    track "$BROKER_PID"
    wait_until 15 "broker" listening "$BROKER_PORT" || {
        cat "$WORK/broker/mosquitto.log" >&2
        die "mosquitto did not start on 127.0.0.1:$BROKER_PORT within 15 s"
    }
}

stop_broker() {
    reap "$BROKER_PID" TERM
    BROKER_PID=""
}

# --- the gateway ------------------------------------------------------------------------------
GW=""
CONF=""
DB=""
HTTP_PORT=""
API=""

# make_gateway [DIR [ORIGIN [TOPIC_PREFIX]]]: `edge-ledger init` plus a bearer token for reads
# and metrics, a faster seal. Several gateways on one broker need their own topic prefix (the
# simulator's --topic-prefix).
make_gateway() {
    GW=${1:-$WORK/gw}
    HTTP_PORT=$(free_port)
    API="http://127.0.0.1:$HTTP_PORT"
    "$BIN" init --dir "$GW" --origin "${2:-faults.example/$SCENARIO}" \
        --broker "127.0.0.1:$BROKER_PORT" --topics "${3:-factory}/+/telemetry" \
        --listen "127.0.0.1:$HTTP_PORT" >"$WORK/init.log" 2>&1 || {
        cat "$WORK/init.log" >&2
        die "edge-ledger init failed"
    }
    CONF="$GW/edge-ledger.toml"
    DB="$GW/data/ledger.db"
    local sha
    sha=$(printf %s "$TOKEN" | sha256sum | cut -d' ' -f1)
    python3 - "$CONF" "$sha" <<'EOF'
import sys
path, sha = sys.argv[1], sys.argv[2]
text = open(path).read()
text = text.replace("[log]", '[[http.tokens]]\nname = "faults"\ntoken_sha256 = "%s"\n\n[log]' % sha, 1)
text = text.replace('# interval = "1s"', 'interval = "200ms"', 1)
open(path, "w").write(text)
EOF
    printf 'Authorization: Bearer %s\n' "$TOKEN" >"$WORK/token.hdr"
}

# set_config SECTION KEY VALUE: sets KEY = VALUE (TOML literal) in [SECTION] of the config.
set_config() {
    python3 - "$CONF" "$1" "$2" "$3" <<'EOF'
import re, sys
path, section, key, value = sys.argv[1:5]
lines = open(path).read().split("\n")
out, in_section, done = [], False, False
for line in lines:
    stripped = line.strip()
    if stripped.startswith("["):
        if in_section and not done:
            out.append("%s = %s" % (key, value)); done = True
        in_section = stripped == "[%s]" % section
    if in_section and not done and re.match(r"#?\s*%s\s*=" % re.escape(key), stripped):
        line = "%s = %s" % (key, value); done = True
    out.append(line)
if in_section and not done:
    out.append("%s = %s" % (key, value)); done = True
if not done:
    out.append("\n[%s]\n%s = %s" % (section, key, value))
open(path, "w").write("\n".join(out))
EOF
}

AGENT_PID=""
AGENT_LOG=""
AGENT_STARTS=0

# start_agent [PREFIX COMMAND...]: runs the agent in the background (optionally under a wrapper
# such as faketime) and waits until its API answers /healthz. It logs to $AGENT_LOG_FILE (default
# $WORK/agent.log).
start_agent() {
    AGENT_STARTS=$((AGENT_STARTS + 1))
    AGENT_LOG=${AGENT_LOG_FILE:-$WORK/agent.log}
    echo "--- start $AGENT_STARTS at $(date -u +%T.%N)" >>"$AGENT_LOG"
    "$@" "$BIN" run --config "$CONF" >>"$AGENT_LOG" 2>&1 &
    AGENT_PID=$!
    track "$AGENT_PID"
    local deadline=$((SECONDS + 60))
    until curl -fsS -m 2 -o /dev/null "$API/healthz" 2>/dev/null; do
        if ! kill -0 "$AGENT_PID" 2>/dev/null; then
            tail -20 "$AGENT_LOG" >&2
            die "the agent exited during start (log above)"
        fi
        [ $SECONDS -lt $deadline ] || die "the agent did not answer /healthz within 60 s"
        sleep 0.05
    done
}

# kill_agent SIGNAL: sends SIGNAL and reaps the agent.
kill_agent() {
    reap "$AGENT_PID" "$1"
    AGENT_PID=""
}

# stop_agent: SIGTERM (seals what is pending), at most 60 s; fails if the exit status is not 0.
stop_agent() {
    [ -n "$AGENT_PID" ] || return 0
    local status=0
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    local deadline=$((SECONDS + 60))
    while kill -0 "$AGENT_PID" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || {
            kill -KILL "$AGENT_PID"
            die "the agent did not stop within 60 s of SIGTERM"
        }
        sleep 0.1
    done
    wait "$AGENT_PID" || status=$?
    untrack "$AGENT_PID"
    AGENT_PID=""
    [ $status -eq 0 ] || {
        tail -20 "$AGENT_LOG" >&2
        die "the agent exited with status $status after SIGTERM"
    }
}

# --- the HTTP API -----------------------------------------------------------------------------
metrics() { curl -fsS -m 5 -H @"$WORK/token.hdr" "$API/metrics"; }

# metric NAME[{labels}]: the value of one series (empty when absent or the API does not answer).
metric() {
    { metrics 2>/dev/null || true; } | awk -v n="$1" '$1 == n { print $2; exit }'
}

readyz_code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$API/readyz" || true; }

# --- readings -------------------------------------------------------------------------------
# simulate ARGS...: the numbered simulator against our broker (QoS 1 unless given).
simulate() { "$BIN" simulate --broker "127.0.0.1:$BROKER_PORT" "$@"; }

# sim_good FILE: the number of good readings in the simulator's --json summary (its last line);
# fails when there is none or the simulator did not drain its acknowledgements.
sim_good() {
    python3 -c 'import json,sys; s=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); assert s["drained"]; print(s["good"])' "$1" 2>/dev/null ||
        die "no complete simulator summary in $1: $(tail -3 "$1")"
}

# count_readings DB PUBLISHED_JSON: checks the log against what the simulator published
# (its --json summary). Prints `published N, missing M, duplicates D` and exits non-zero when a
# published reading is missing.
count_readings() {
    "$BIN" export --db "$1" --format jsonl 2>/dev/null | python3 "$FAULTS_DIR/count.py" "$2"
}

# verify_store DB: `edge-ledger verify` with the gateway's verifier keys; prints its output on
# failure. Returns its exit status.
verify_store() {
    local out
    if out=$("$BIN" verify --db "$1" --verifier-keys "$GW/verifier-keys.txt" 2>&1); then
        printf '%s\n' "$out" >"$WORK/verify.last"
        return 0
    fi
    printf '%s\n' "$out" >"$WORK/verify.last"
    return 1
}

# wait_drained PUBLISHED: waits until every published reading is in the store at least once, or
# until the store stops growing for 30 s (at most 600 s). Returns 1 when not drained.
wait_drained() {
    local want=$1 last=-1 still=$SECONDS deadline=$((SECONDS + 600)) summary entries distinct
    while [ $SECONDS -lt $deadline ]; do
        summary=$("$BIN" export --db "$DB" --summary 2>/dev/null) || summary='{"entries":0,"duplicates":0}'
        read -r entries distinct < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["entries"], s["entries"]-s["duplicates"])' "$summary")
        [ "$distinct" -lt "$want" ] || return 0
        if [ "$entries" != "$last" ]; then
            last=$entries still=$SECONDS
        elif [ $((SECONDS - still)) -ge 30 ]; then
            say "the store stopped growing at $entries entries ($distinct distinct of $want published)"
            return 1
        fi
        sleep 1
    done
    say "not drained within 600 s ($distinct distinct of $want published)"
    return 1
}

# freeze PID: SIGSTOP, then waits until every thread is really stopped. kill(2) returns when the
# signal is sent; threads that are running or inside a system call stop a little later, and a
# copy taken before that is not a snapshot of one instant.
freeze() {
    kill -STOP "$1"
    local deadline=$((SECONDS + 10)) task state all
    while :; do
        all=1
        for task in /proc/"$1"/task/*; do
            state=$(sed 's/.*) //' "$task/stat" 2>/dev/null | cut -d' ' -f1)
            case $state in T | t | "") ;; *) all=0; break ;; esac
        done
        [ $all = 0 ] || return 0
        [ $SECONDS -lt $deadline ] || die "process $1 did not stop within 10 s of SIGSTOP"
        sleep 0.001
    done
}

# finish_stream SIM_PID SIM_OUT SECONDS: waits up to SECONDS for the simulator (sized to end by
# itself), then for the agent to drain the broker's backlog, stops the agent, counts the
# readings and verifies the store. Sets GOOD (readings published), RESULT (count.py's line),
# COUNTED (its exit status: 1 when a reading is missing) and VERIFIED (ok or FAILED).
finish_stream() {
    local pid=$1 out=$2 limit=$3
    wait_until "$limit" "simulator" bash -c "! kill -0 $pid" || die "the simulator did not finish within $limit s"
    wait "$pid" 2>/dev/null || true # its status may be lost among many restarts' children; its summary tells
    untrack "$pid"
    GOOD=$(sim_good "$out")
    wait_drained "$GOOD" || true
    stop_agent
    RESULT=$(count_readings "$DB" "$GOOD") && COUNTED=0 || COUNTED=$?
    verify_store "$DB" && VERIFIED=ok || VERIFIED=FAILED
}

# settle SECONDS WHAT SEALED_FN ENTRIES_FN [ARG]: waits until the sealed size (`SEALED_FN ARG`
# prints it) equals the entries stored (`ENTRIES_FN ARG`) and stays the same for 2 s (the
# gateway's simulator done, every entry sealed); prints that size. Fails naming WHAT.
settle() {
    local limit=$1 what=$2 deadline=$((SECONDS + $1)) sealed entries last=-1 since=$SECONDS
    while [ $SECONDS -lt $deadline ]; do
        sealed=$("$3" "${5:-}")
        entries=$("$4" "${5:-}")
        if [ -n "$sealed" ] && [ "$sealed" = "$entries" ]; then
            if [ "$sealed" != "$last" ]; then
                last=$sealed since=$SECONDS
            elif [ $((SECONDS - since)) -ge 2 ]; then
                echo "$sealed"
                return 0
            fi
        fi
        sleep 0.3
    done
    die "$what did not settle within $limit s (sealed ${sealed:-?}, entries ${entries:-?})"
}

# crash_loop KILLS SENSORS RATE COUNT: the simulator's numbered QoS 1 stream (COUNT readings at
# RATE/s from SENSORS sensors, its --json summary in $WORK/simulate.out) while the agent is
# SIGKILLed KILLS times at random moments (0-1.2 s after each start: replay, reconnect, ingest, a
# seal) and restarted. Sets SIM_PID (the simulator, still tracked) and KILL_SECONDS.
crash_loop() {
    local kills=$1 sensors=$2 rate=$3 count=$4 started i
    simulate --sensors "$sensors" --rate "$rate" --count "$count" --qos 1 --json \
        >"$WORK/simulate.out" 2>&1 &
    SIM_PID=$!
    track $SIM_PID
    started=$SECONDS
    for i in $(seq "$kills"); do
        sleep_ms "$(random_ms 0 1200)"
        kill_agent KILL
        progress "kill $i/$kills (simulator $(kill -0 $SIM_PID 2>/dev/null && echo running || echo done))"
        start_agent
    done
    KILL_SECONDS=$((SECONDS - started))
}

# --- /proc ------------------------------------------------------------------------------------
# rss_kb, cpu_ticks and CLK_TCK come from scripts/lib/processes.sh.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# A random number of milliseconds in [$1, $2).
random_ms() { echo $(($1 + RANDOM % ($2 - $1))); }
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
