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
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

kills=20 count=20000 rate=2000 sensors=10
parse_options 'kills=100 count=200000 rate=4000' 'kills=kills count=count rate=rate' "$@"

fault_start
start_broker
make_gateway
start_agent

crash_loop "$kills" "$sensors" "$rate" "$count"
sim_pid=$SIM_PID kill_seconds=$KILL_SECONDS

finish_stream $sim_pid "$WORK/simulate.out" 600
result=$RESULT counted=$COUNTED verified=$VERIFIED good=$GOOD
checks=$(sed -n 's/^ *checkpoints: *//p' "$WORK/verify.last")
echo "crash-loop: $kills SIGKILLs in ${kill_seconds} s; $result; verify $verified (checkpoints $checks)"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
[ $counted -eq 0 ] || exit 1
