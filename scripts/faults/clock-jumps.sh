#!/usr/bin/env bash
# Fault scenario 5, clock jumps: the agent's wall clock jumps backwards and forwards while it
# ingests and seals. The system clock is shared by everything on the machine (and this
# container may change the host's), so the agent alone runs under libfaketime with an offset
# read from a file on every call (the `faketime` wrapper with FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE; apt-get install faketime); CLOCK_MONOTONIC
# stays real, as in a real jump. Phases: real time, +1 hour, +30 days (live jumps), then a restart on the real clock, 30 days behind;
# in each phase a numbered batch is published and at least one checkpoint is sealed.
#
# Expected: every reading stored, `edge-ledger verify` passes, each entry's received_at is the
# (jumped) wall clock when the agent took it (so received_at is not monotonic across a jump,
# while the index order is), and checkpoints keep being sealed and consistent.
#
# Setting the system clock itself (CAP_SYS_TIME is there) is deliberately not done: the clock
# is shared with everything else on the machine (builds compare file times).
#
# Usage: scripts/faults/clock-jumps.sh [--ci]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

per_phase=1000 sensors=4
parse_options 'per_phase=20000' '' "$@"


fault_start
start_broker
make_gateway
clock="$WORK/faketime"
echo "+0" >"$clock"
# LD_PRELOAD through `env` (which execs: the agent keeps the PID we signal; the `faketime`
# wrapper would fork). Without FAKETIME_SHARED, libfaketime's constructor leaves a Swift binary
# with no command-line arguments; naming a segment that does not exist avoids that.
libfaketime=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime.so.1$' | head -1)
[ -n "$libfaketime" ] || { say "libfaketime is missing: apt-get install faketime"; exit 2; }
under_faketime=(env LD_PRELOAD="$libfaketime" FAKETIME_SHARED="/faketime_sem_none /faketime_shm_none"
    FAKETIME_TIMESTAMP_FILE="$clock" FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1)
start_agent "${under_faketime[@]}"

# OFFSET:how — "live": the running agent's clock jumps; "real-restart": the agent is restarted
# without libfaketime, on the real clock, 30 days *behind* the last checkpoint's time (the clock
# was corrected while the gateway was down).
# libfaketime limits what can be tested live: a Swift process started under it with any
# non-zero offset, or whose clock jumps backwards, never wakes from Task.sleep (a 5-line
# Swift control program behaves the same: libfaketime rewrites the timeouts of
# timerfd_settime/epoll_wait/pthread_cond_timedwait as wall-clock times), so live jumps here
# are forward only and the backward jump happens across a restart; see docs/RELIABILITY.md.
phases=("+0:start" "+1h:live" "+30d:live" "+0:real-restart")
sealed_before=0
published=0
for i in "${!phases[@]}"; do
    offset=${phases[$i]%%:*} how=${phases[$i]#*:}
    if [ "$how" = real-restart ]; then
        stop_agent
        start_agent
        sealed_before=$(metric edge_ledger_checkpoints_sealed_total)
    else
        echo "$offset" >"$clock"
    fi
    # A batch per phase, numbered on from the previous ones: distinct sensors per phase.
    simulate --sensors "$sensors" --rate 2000 --count "$per_phase" --qos 1 \
        --topic-prefix factory --client-id "clock-sim-$i" --json >"$WORK/sim-$i.out" 2>&1 ||
        die "the simulator failed in phase $offset: $(tail -3 "$WORK/sim-$i.out")"
    published=$((published + per_phase))
    wait_drained "$published" >/dev/null 2>&1 || true
    # A checkpoint sealed under this clock.
    sealed_now() { [ "$(metric edge_ledger_sealed_size | cut -d. -f1)" -ge "$(metric edge_ledger_tree_size | cut -d. -f1)" ] &&
        [ "$(metric edge_ledger_checkpoints_sealed_total)" != "${sealed_before:-0}" ]; }
    wait_until 30 "seal" sealed_now || die "no checkpoint sealed within 30 s at clock offset $offset"
    sealed_before=$(metric edge_ledger_checkpoints_sealed_total)
    progress "phase $offset ($how): tree $(metric edge_ledger_tree_size), checkpoints $sealed_before"
done
curl -fsS -H @"$WORK/token.hdr" "$API/checkpoint" >"$WORK/checkpoint.txt" || die "GET /checkpoint failed after the jumps"
stop_agent

# Each phase's readings: the simulator numbers per sensor from 0 in every run, so count each
# phase's index range separately, and look at received_at across the jumps.
"$BIN" export --db "$DB" >"$WORK/export.jsonl" 2>/dev/null
result=$(python3 - "$WORK/export.jsonl" "$per_phase" "${phases[@]}" <<'EOF'
import json, sys, datetime
path, per_phase, phases = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = [json.loads(l) for l in open(path)]
now = datetime.datetime.now(datetime.timezone.utc).timestamp()
# Group entries into phases by their distinct readings: a phase ends when per_phase distinct
# (sensor, seq) pairs were seen (duplicates of a phase arrive within it).
out, missing, dups, i = [], 0, 0, 0
for p in phases:
    seen, first_t = set(), None
    while i < len(rows) and len(seen) < per_phase:
        r = json.loads(rows[i]["payload"]); key = (r["sensor"], r["seq"])
        if key in seen: dups += 1
        seen.add(key)
        first_t = first_t or rows[i]["received_at_ns"] / 1e9
        i += 1
    missing += per_phase - len(seen)
    skew = (first_t - now) / 3600 if first_t else 0
    out.append(f"{p}: received_at {skew:+.0f} h")
backwards = sum(1 for a, b in zip(rows, rows[1:]) if b["received_at_ns"] < a["received_at_ns"])
print(f"published {per_phase * len(phases)}, missing {missing}, duplicates {dups}; " + ", ".join(out)
      + f"; received_at steps backwards {backwards} times, index order intact")
sys.exit(1 if missing or i < len(rows) else 0)
EOF
) && counted=0 || counted=$?
verify_store "$DB" && verified=ok || verified=FAILED
checks=$(sed -n 's/^ *checkpoints: *//p' "$WORK/verify.last")
echo "clock-jumps: ${phases[*]}; $result; verify $verified (checkpoints $checks)"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
[ $counted -eq 0 ]
