#!/usr/bin/env bash
# Fault scenario 2, power-loss model for storage.durability = "power": while a numbered QoS 1
# stream is ingested and checkpoints are sealed several times a second, the agent is frozen
# with SIGSTOP at a random moment, its whole store directory (ledger.db, -wal, -shm and any
# journal files beside them) is copied, and the agent is SIGKILLed. Each copy must open
# consistent: `edge-ledger verify --db COPY` passes. The copy then *replaces* the store (the
# gateway "comes back from the power cut" with exactly those files) and the agent restarts on
# it, so at the end every reading acknowledged before a cut must still be in the log: the broker
# redelivers only what was not acknowledged.
#
# What this models and what it does not: the copy is the file state at one instant between two
# system calls of the agent (a frozen process cannot be inside a write), i.e. what a power cut
# leaves when the kernel had written everything the agent wrote. It does not model a kernel that
# loses writes that were not fsynced (that needs a block-level tool such as dm-log-writes); the
# durability of synchronous=FULL against that is SQLite's guarantee.
#
# Usage: scripts/faults/power-loss.sh [--ci] [--long] [--iterations N] [--rate R]
#   --ci    20 cuts at 1000 readings/s (default)
#   --long  300 cuts
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

iterations=20 rate=1000 sensors=8
parse_options 'iterations=300' 'iterations=iterations rate=rate' "$@"

fault_start
start_broker
make_gateway
set_config storage durability '"power"'
set_config seal interval '"100ms"'
set_config seal max_entries 200
start_agent

# Sized to outlast the cuts (about 0.5 s plus a restart each); cuts go on until it is done.
simulate --sensors "$sensors" --rate "$rate" --count "${SIM_COUNT:-$((rate * iterations / 2))}" --qos 1 --json \
    >"$WORK/simulate.out" 2>&1 &
sim_pid=$!
track $sim_pid

data_dir=$(dirname "$DB")
snapshots=0 failures=0 unsealed=0
i=0
while [ $i -lt "$iterations" ] || { [ -z "${SIM_COUNT:-}" ] && kill -0 $sim_pid 2>/dev/null; }; do
    i=$((i + 1))
    sleep_ms "$(random_ms 150 900)"
    freeze "$AGENT_PID"
    snap="$WORK/snap-$i"
    cp -a "$data_dir" "$snap"
    kill_agent KILL
    snapshots=$((snapshots + 1))
    if verify_store "$snap/$(basename "$DB")"; then
        # Entries appended after the last seal at the cut (the cut fell between append and seal).
        entries=$(sed -n 's/^ *entries: *\([0-9]*\).*/\1/p' "$WORK/verify.last")
        sealed=$(sed -n 's/^ *root: .* at size \([0-9]*\).*/\1/p' "$WORK/verify.last")
        [ "${entries:-0}" = "${sealed:-0}" ] || unsealed=$((unsealed + 1))
        progress "cut $i: copy verifies ($entries entries, sealed ${sealed:-0}; files: $(cd "$snap" && ls | tr '\n' ' '))"
    else
        failures=$((failures + 1))
        cp "$WORK/verify.last" "$WORK/verify-failed-$i.txt"
        say "cut $i: the copy does not verify: $(head -3 "$WORK/verify.last" | tr '\n' ' ')"
        FAULTS_KEEP_ON_FAILURE=1
    fi
    # The machine comes back with exactly the copied files (FAULTS_POWER_RESTORE=0: with the
    # files the killed agent left, which are the same bytes; for diagnosis).
    if [ "${FAULTS_POWER_RESTORE:-1}" = 1 ]; then
        rm -rf "$data_dir"
        cp -a "$snap" "$data_dir"
    fi
    [ $failures -gt 0 ] || rm -rf "$snap"
    start_agent
done

finish_stream $sim_pid "$WORK/simulate.out" 600
result=$RESULT counted=$COUNTED verified=$VERIFIED
echo "power-loss: $snapshots cuts (SIGSTOP until every thread stopped, copy, SIGKILL), $((snapshots - failures)) copies verify, $unsealed with unsealed entries; after restoring each copy: $result; final verify $verified"
[ $failures -eq 0 ] && [ "$verified" = ok ] && [ $counted -eq 0 ]
