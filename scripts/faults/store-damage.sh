#!/usr/bin/env bash
# Fault scenario: a hash tile damaged on disk while the agent runs (issue 11, findings 5 and 6).
#
# The agent runs with `storage.integrity_check_interval = "1s"`; readings are sealed; then one
# byte of a right-edge hash tile is changed behind the agent's back (another SQLite connection,
# as a faulty disk or a stray tool would). Expected: the background integrity check finds it,
# /readyz answers 503 naming the tile, `edge_ledger_store_damaged` is 1, no checkpoint is signed
# over it (more readings are stored but stay unsealed, also across a restart), `status` shows
# `integrity: DAMAGED`, and `verify --quick` exits 1 naming the tile.
#
# Usage: scripts/faults/store-damage.sh [--ci]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
parse_options '' '' "$@"

fault_start
start_broker
make_gateway
set_config storage integrity_check_interval '"1s"'
sealed_at() { "$BIN" status --db "$DB" --json 2>/dev/null | python3 -c 'import json,sys; print((json.load(sys.stdin)["last_checkpoint"] or {"size": 0})["size"])'; }
sealed_is() { [ "$(sealed_at)" = "$1" ]; }
ready_is() { [ "$(readyz_code)" = "$1" ]; }

start_agent
simulate --sensors 2 --rate 2000 --count 600 --qos 1 --client-id damage-sim-1 >"$WORK/sim-1.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim-1.out")"
wait_drained 600 || die "readings not stored"
wait_until 30 "the first seal" sealed_is 600 || die "the readings were not sealed (sealed $(sealed_at))"
[ "$(readyz_code)" = 200 ] || die "not ready before the damage"

# Tile 0/2 holds the leaf hashes of entries 512..599 (the right edge at size 600): hash 5 is
# entry 517's.
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
(blob,) = c.execute("SELECT hashes FROM tiles WHERE level = 0 AND idx = 2").fetchone()
b = bytearray(blob); b[5 * 32] ^= 0x01
c.execute("UPDATE tiles SET hashes = ? WHERE level = 0 AND idx = 2", (bytes(b),)); c.commit()
PY
wait_until 30 "readiness 503" ready_is 503 || die "readiness did not turn 503 after the damage"
ready=$(curl -s -m 5 "$API/readyz" | tr '\n' ' ')
grep -q "tile 0/2" <<<"$ready" || die "/readyz does not name the tile: $ready"
damaged_metric=$(metric edge_ledger_store_damaged)
[ "${damaged_metric%%.*}" = 1 ] || die "edge_ledger_store_damaged is $damaged_metric, not 1"
grep -q "store damaged: sealing stopped" "$AGENT_LOG" || die "no error log line"

simulate --sensors 2 --rate 2000 --count 50 --qos 1 --client-id damage-sim-2 >"$WORK/sim-2.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim-2.out")"
wait_drained 650 || die "readings after the damage were not stored"
sleep 1
[ "$(sealed_at)" = 600 ] || die "a checkpoint was signed over the damage (sealed $(sealed_at))"
kill_agent TERM
start_agent
[ "$(readyz_code)" = 503 ] || die "a restart over the damage is ready"
sleep 1.5
[ "$(sealed_at)" = 600 ] || die "a restarted agent signed over the damage (sealed $(sealed_at))"
kill_agent TERM

status_line=$("$BIN" status --db "$DB" | grep '^integrity:' || true)
grep -q "DAMAGED" <<<"$status_line" || die "status does not show the damage: $status_line"
if out=$("$BIN" verify --quick --db "$DB" --verifier-keys "$GW/verifier-keys.txt" 2>&1); then
    die "verify --quick passed a damaged store"
fi
first=$(grep -m1 FAILED <<<"$out")
grep -q "tile 0/2" <<<"$first" || die "verify --quick does not name the tile: $first"
echo "store-damage: tile 0/2 damaged while running: readiness 503, metric 1, nothing signed over it (also after a restart, 650 stored, 600 sealed); status DAMAGED; verify --quick: ${first#FAILED: }"
