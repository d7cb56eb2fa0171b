#!/usr/bin/env bash
# Fault scenario: the crash loop with deduplication on. The simulator's numbered QoS 1 stream
# (each reading's topic and "seq" member are its message id) while the agent, configured with
# `dedup = "json:seq"`, is SIGKILLed at random moments and restarted: the broker redelivers what
# was journaled but not yet acknowledged (`durability = "power"` widens that moment by an
# fdatasync), and the journal is replayed at each start. Then a publisher replays the first
# REPLAY stored readings (mosquitto_pub, QoS 1), as a node re-sending its buffer would. Afterwards
# every published reading must be in the log exactly once (zero duplicate keys among the stored
# entries, none missing), at least the replayed readings recorded as duplicates instead, and
# `edge-ledger verify` must pass.
#
# Usage: scripts/faults/dedup-crash-loop.sh [--ci] [--long] [--kills N] [--count N] [--rate R]
#   --ci         CI size: 12 kills, 12000 readings at 1500/s, 300 replayed (default; under a minute)
#   --long       60 kills, 100000 readings at 3000/s, 3000 replayed
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

kills=12 count=12000 rate=1500 sensors=10 replay=300
parse_options 'kills=60 count=100000 rate=3000 replay=3000' 'kills=kills count=count rate=rate replay=replay' "$@"

fault_start
need mosquitto_pub
start_broker
make_gateway
set_config storage durability '"power"'
python3 - "$CONF" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
line = 'filter = "factory/+/telemetry"'
assert line in text, "no factory/+/telemetry topic in " + path
open(path, "w").write(text.replace(line, line + '\ndedup = "json:seq"', 1))
PY
start_agent

crash_loop "$kills" "$sensors" "$rate" "$count"
sim_pid=$SIM_PID kill_seconds=$KILL_SECONDS

# A node replaying: the first $replay stored readings published again, each on its own topic.
wait_until 120 "$replay entries" bash -c "[ \$('$BIN' export --db '$DB' --summary 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"entries\"])') -ge $replay ]" ||
    die "fewer than $replay entries stored within 120 s"
mkdir -p "$WORK/replay"
"$BIN" export --db "$DB" --to "$replay" --format jsonl 2>/dev/null | python3 -c '
import json, sys, urllib.parse
out = sys.argv[1]
for line in sys.stdin:
    e = json.loads(line)
    with open(out + "/" + urllib.parse.quote(e["topic"], safe=""), "a") as f:
        f.write(e["payload"] + "\n")
' "$WORK/replay"
for file in "$WORK/replay"/*; do
    topic=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "$(basename "$file")")
    mosquitto_pub -h 127.0.0.1 -p "$BROKER_PORT" -q 1 -t "$topic" -l <"$file" ||
        die "mosquitto_pub could not replay $topic"
done

finish_stream $sim_pid "$WORK/simulate.out" 600
result=$RESULT counted=$COUNTED verified=$VERIFIED
summary=$("$BIN" export --db "$DB" --summary 2>/dev/null)
read -r stored_duplicates deduplicated < <(python3 -c 'import json,sys; s=json.loads(sys.argv[1]); print(s["duplicates"], s["deduplicated"])' "$summary")
replays=$(grep -c 'replayed journaled readings' "$AGENT_LOG" || true)
echo "dedup-crash-loop: $kills SIGKILLs in ${kill_seconds} s ($replays journal replays), $replay readings replayed; $result; $deduplicated recorded as duplicates ($((deduplicated - replay)) broker redeliveries); duplicate keys among entries: $stored_duplicates; verify $verified"
[ "$verified" = ok ] || { cat "$WORK/verify.last" >&2; exit 1; }
[ "$counted" -eq 0 ] || exit 1
case $result in *"duplicates 0,"*) ;; *) say "FAILED: readings stored more than once: $result"; exit 1 ;; esac
[ "$stored_duplicates" -eq 0 ] || die "export found $stored_duplicates entries repeating an earlier one"
[ "$deduplicated" -ge "$replay" ] || die "only $deduplicated duplicates recorded; the $replay replayed readings alone are more"
