#!/usr/bin/env bash
# Fault scenario 1, crash loop: a numbered QoS 1 stream at a high rate while the agent is
# SIGKILLed at random moments (during ingest, sealing, start-up and catch-up) and restarted.
# Afterwards every published reading must be in the log (redeliveries are counted as
# duplicates, none may be missing), `edge-ledger verify` must pass (it recomputes every root and
# checks each checkpoint's signature and its consistency proof from the previous checkpoint).
#
# Usage: scripts/faults/crash-loop.sh [--ci] [--kills N] [--count N] [--rate R]
#   --ci         CI size: 20 kills, 20000 readings at 2000/s (default)
#   --long       100 kills, 200000 readings at 4000/s
set -euo pipefail
source "$(dirname "$0")/lib.sh"

kills=20 count=20000 rate=2000 sensors=10
while [ $# -gt 0 ]; do
    case $1 in
    --ci) ;;
    --long) kills=100 count=200000 rate=4000 ;;
    --kills) kills=$2; shift ;;
    --count) count=$2; shift ;;
    --rate) rate=$2; shift ;;
    *) say "unknown option $1"; exit 64 ;;
    esac
    shift
done

fault_start
start_broker
make_gateway
start_agent

simulate --sensors "$sensors" --rate "$rate" --count "$count" --qos 1 --json \
    >"$WORK/simulate.out" 2>&1 &
sim_pid=$!
track $sim_pid

started=$SECONDS
for i in $(seq "$kills"); do
    # Random moments: right after start (replay, reconnect), during ingest, during a seal.
    sleep_ms "$(random_ms 0 1200)"
    kill_agent KILL
    progress "kill $i/$kills (simulator $(kill -0 $sim_pid 2>/dev/null && echo running || echo done))"
    start_agent
done
kill_seconds=$((SECONDS - started))

wait_until 600 "simulator" bash -c "! kill -0 $sim_pid" || die "the simulator did not finish within 600 s"
wait $sim_pid || true # its status may be lost among the restarts' children; its summary tells
untrack $sim_pid
good=$(sim_good "$WORK/simulate.out")

# Let the agent drain the broker's backlog: every reading present at least once.
wait_drained "$good" || true
stop_agent

result=$(count_readings "$DB" "$good") && counted=0 || counted=$?
verify_store "$DB" && verified=ok || verified=FAILED
checks=$(sed -n 's/^ *checkpoints: *//p' "$WORK/verify.last")
echo "crash-loop: $kills SIGKILLs in ${kill_seconds} s; $result; verify $verified (checkpoints $checks)"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
[ $counted -eq 0 ] || exit 1
