#!/usr/bin/env bash
# Fault scenario: the crash loop with deduplication on. The simulator's numbered QoS 1 stream
# (each reading's topic and "seq" member are its message id) while the agent, configured with
# `dedup = "json:seq"`, is SIGKILLed at random moments and restarted: the broker redelivers what
# was journaled but not yet acknowledged, and the journal is replayed at each start. Afterwards
# every published reading must be in the log exactly once (zero duplicate keys among the stored
# entries, none missing), the redeliveries recorded as duplicates instead, and
# `edge-ledger verify` must pass.
#
# Usage: scripts/faults/dedup-crash-loop.sh [--ci] [--long] [--kills N] [--count N] [--rate R]
#   --ci         CI size: 8 kills, 8000 readings at 1000/s (default; under a minute)
#   --long       60 kills, 100000 readings at 3000/s
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

kills=8 count=8000 rate=1000 sensors=10
parse_options 'kills=60 count=100000 rate=3000' 'kills=kills count=count rate=rate' "$@"

fault_start
start_broker
make_gateway
python3 - "$CONF" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
line = 'filter = "factory/+/telemetry"'
assert line in text, "no factory/+/telemetry topic in " + path
open(path, "w").write(text.replace(line, line + '\ndedup = "json:seq"', 1))
PY
start_agent

simulate --sensors "$sensors" --rate "$rate" --count "$count" --qos 1 --json \
    >"$WORK/simulate.out" 2>&1 &
sim_pid=$!
track $sim_pid

started=$SECONDS
for i in $(seq "$kills"); do
    sleep_ms "$(random_ms 0 1200)"
    kill_agent KILL
    progress "kill $i/$kills (simulator $(kill -0 $sim_pid 2>/dev/null && echo running || echo done))"
    start_agent
done
kill_seconds=$((SECONDS - started))

finish_stream $sim_pid "$WORK/simulate.out" 600
result=$RESULT counted=$COUNTED verified=$VERIFIED
summary=$("$BIN" export --db "$DB" --summary 2>/dev/null)
read -r stored_duplicates deduplicated < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["duplicates"], s["deduplicated"])' "$summary")
replays=$(grep -c 'replayed journaled readings' "$AGENT_LOG" || true)
echo "dedup-crash-loop: $kills SIGKILLs in ${kill_seconds} s ($replays journal replays); $result; $deduplicated redeliveries recorded as duplicates; duplicate keys among entries: $stored_duplicates; verify $verified"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
[ "$counted" -eq 0 ] || exit 1
case $result in *"duplicates 0,"*) ;; *) say "FAILED: readings stored more than once: $result"; exit 1 ;; esac
[ "$stored_duplicates" -eq 0 ] || die "export found $stored_duplicates entries repeating an earlier one"
