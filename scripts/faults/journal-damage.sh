#!/usr/bin/env bash
# Fault scenario, journal damage: one record in the middle of the ingest journal is damaged
# (a flipped byte) after the agent acknowledged every reading and was SIGKILLed before it
# folded them into the store. At the restart, replay must skip only the damaged record and
# recover every reading after it; the loss must be reported (error log with file, offset and
# sequence numbers; /metrics; a warning line in /readyz, which stays 200; `edge-ledger status`)
# until `edge-ledger status --ack-journal-damage`, and the damaged bytes must be kept in
# <journal>/quarantine/.
#
# Folding is held back the way a slow or busy disk would: another process holds the store's
# SQLite write lock while the readings arrive (the agent's fold waits up to SQLite's 5 s busy
# timeout; journaled readings are acknowledged meanwhile).
#
# Usage: scripts/faults/journal-damage.sh [--ci] [--count N]
#   --ci         CI size: 600 readings (default)
#   --long       3000 readings
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

count=600
parse_options 'count=3000' 'count=count' "$@"

fault_start
start_broker
make_gateway
start_agent
ready() { [ "$(readyz_code)" = 200 ]; }
wait_until 30 "readiness" ready || die "the agent did not become ready within 30 s"
JOURNAL="$DB-ingest-journal"

# Hold the store's write lock: the agent journals and acknowledges, but cannot fold.
python3 - "$DB" "$WORK/locked" <<'EOF' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(300)
EOF
lock_pid=$!
track $lock_pid
wait_until 30 "write lock" test -e "$WORK/locked" || die "could not take the store's write lock"

started=$SECONDS
simulate --sensors 1 --rate 2000 --count "$count" --qos 1 --json >"$WORK/simulate.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/simulate.out")"
good=$(sim_good "$WORK/simulate.out")
[ $((SECONDS - started)) -lt 5 ] || die "publishing took $((SECONDS - started)) s: the agent may have folded meanwhile"
kill_agent KILL
kill "$lock_pid" 2>/dev/null || true
wait "$lock_pid" 2>/dev/null || true
untrack "$lock_pid"

# Flip one byte inside the body of the middle record of the segment holding the readings.
read -r segment offset length lost_reading < <(python3 - "$JOURNAL" "$good" <<'EOF'
import json, os, struct, sys
directory, good = sys.argv[1], int(sys.argv[2])
best = None
for name in sorted(os.listdir(directory)):
    if not name.endswith(".journal"):
        continue
    data = open(os.path.join(directory, name), "rb").read()
    offsets, at = [], 0
    while at + 8 <= len(data):
        offsets.append(at)
        at += 8 + struct.unpack_from("<I", data, at)[0]
    if best is None or len(offsets) > len(best[2]):
        best = (name, data, offsets)
name, data, offsets = best
if len(offsets) < good:
    sys.exit(f"only {len(offsets)} of {good} readings are in the journal: folded before the kill?")
at = offsets[len(offsets) // 2]
length = 8 + struct.unpack_from("<I", data, at)[0]
topic_length, payload_length = struct.unpack_from("<HI", data, at + 8 + 18)
payload = data[at + 32 + topic_length : at + 32 + topic_length + payload_length]
path = os.path.join(directory, name)
damaged = bytearray(data)
damaged[at + 8 + 12] ^= 0x10  # inside the receive time: only the checksum can tell
open(path, "r+b").write(damaged)
print(path, at, length, json.loads(payload)["seq"])
EOF
) || die "cannot damage the journal"
progress "damaged $length bytes at offset $offset of $segment (reading $lost_reading)"

start_agent
wait_until 60 "replay" test "$("$BIN" export --db "$DB" --summary 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')" -ge $((good - 1)) ||
    die "the store did not reach $((good - 1)) entries after the restart"

# What is lost is exactly the damaged reading.
missing=$("$BIN" export --db "$DB" --format jsonl | python3 -c '
import json, sys
good = int(sys.argv[1])
seen = {json.loads(json.loads(line)["payload"])["seq"] for line in sys.stdin}
print(" ".join(str(s) for s in sorted(set(range(good)) - seen)) or "none")' "$good")
[ "$missing" = "$lost_reading" ] || die "missing readings: $missing (expected only $lost_reading)"

# Reported: the log, the quarantine, /metrics, /readyz, status.
grep -q "damaged records in the ingest journal" "$AGENT_LOG" || die "no error line in the agent's log"
quarantined=$(find "$JOURNAL/quarantine" -name '*.bin' 2>/dev/null | head -1)
[ -n "$quarantined" ] && [ "$(stat -c %s "$quarantined")" = "$length" ] ||
    die "no quarantine file of $length bytes in $JOURNAL/quarantine"
[ "$(metric edge_ledger_journal_lost_readings_total)" = 1.0 ] || [ "$(metric edge_ledger_journal_lost_readings_total)" = 1 ] ||
    die "edge_ledger_journal_lost_readings_total is '$(metric edge_ledger_journal_lost_readings_total)'"
readyz=$(curl -s -m 5 "$API/readyz")
[ "$(readyz_code)" = 200 ] && grep -q "^warning: unacknowledged journal damage" <<<"$readyz" ||
    die "/readyz did not warn: $readyz"
status=$("$BIN" status --config "$CONF" --no-api --color never)
grep -q "ingest journal damage (not acknowledged)" <<<"$status" || die "status does not show the damage: $status"

# Acknowledged: status, /readyz and the gauge clear; the quarantined bytes stay.
"$BIN" status --config "$CONF" --no-api --ack-journal-damage --color never >"$WORK/ack.out" ||
    die "status --ack-journal-damage failed: $(cat "$WORK/ack.out")"
"$BIN" status --config "$CONF" --no-api --color never | grep -q "journal damage" &&
    die "status still shows the damage after the acknowledgement"
no_warning() { ! curl -s -m 5 "$API/readyz" | grep -q warning; }
wait_until 10 "readyz" no_warning || die "/readyz still warns after the acknowledgement"
[ -f "$quarantined" ] || die "the quarantine file disappeared"

stop_agent
verify_store "$DB" && verified=ok || verified=FAILED
echo "journal-damage: 1 damaged record in the middle of $good journaled readings; $((good - 1)) recovered," \
    "reading $lost_reading lost and reported (log, metrics, readyz warning, status until acknowledged)," \
    "$length bytes quarantined; verify $verified"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
