#!/usr/bin/env bash
# Fault scenario, forged acknowledgements: someone holding the upstream's pull token (or an
# upstream that stored nothing) tries to make the agent prune payloads no upstream holds.
# Against a live agent with retention enabled for the upstream: the old {size, root} form, a
# challenge before fetching with the upstream's own token, an answer that lacks a challenged
# entry, a used challenge, then the honest proven acknowledgement and its replay (checks in
# forged_ack.py). Expected: only the proven acknowledgement is recorded (the upstream's acked size
# stays 0 until then), the refusals are counted in edge_ledger_http_acks_total, verify passes.
#
# Usage: scripts/faults/forged-ack.sh [--ci] [--count N]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

count=1000
parse_options 'count=20000' 'count=count' "$@"

fault_start
start_broker
make_gateway
UPSTREAM_TOKEN="faults-upstream-$RANDOM$RANDOM$RANDOM"
cat >>"$CONF" <<TOML

[[http.tokens]]
name = "dc-1"
token_sha256 = "$(printf %s "$UPSTREAM_TOKEN" | sha256sum | cut -d' ' -f1)"

[[upstreams]]
name = "dc-1"
witness = false
required_for_retention = true
TOML
set_config storage.retention prune_payloads true
set_config storage.retention min_age '"0s"'
start_agent
simulate --sensors 4 --rate 0 --count "$count" --qos 1 >"$WORK/simulate.out" 2>&1 || die "the simulator failed"
wait_drained "$count" || die "the readings were not stored"
wait_until 30 "sealed" bash -c "[ \"\$(curl -fsS -H @'$WORK/token.hdr' '$API/metrics' | awk '\$1 == \"edge_ledger_sealed_size\" { print int(\$2) }')\" -ge $count ]" ||
    die "the readings were not sealed"
sealed=$(metric edge_ledger_sealed_size)
sealed=${sealed%.*}

python3 "$FAULTS_DIR/forged_ack.py" 127.0.0.1 "$HTTP_PORT" "$UPSTREAM_TOKEN" "$TOKEN" "$sealed" >"$WORK/forged.out" 2>&1 &&
    forged=0 || forged=$?
[ "${FAULTS_VERBOSE:-0}" = 1 ] && cat "$WORK/forged.out" >&2
grep '^FAIL' "$WORK/forged.out" >&2 || true
summary=$(tail -1 "$WORK/forged.out")
counts=$(metrics | awk '$1 ~ /^edge_ledger_http_acks_total\{/ { match($1, /result="[a-z_]+"/); printf "%s=%d ", substr($1, RSTART + 8, RLENGTH - 9), $2 }')
acked=$(metric 'edge_ledger_upstream_acked_size{upstream="dc-1"}')
# verify reads the store beside the running agent; then the agent is killed (the retention
# timer's stop delay is another scenario's concern).
verify_store "$DB" && verified=ok || verified=FAILED
kill_agent KILL
echo "forged-ack: $summary; acks_total ${counts% }; acked ${acked%.*} of $sealed; verify $verified"
[ $forged -eq 0 ] && [ "${acked%.*}" = "$sealed" ] && [ "$verified" = ok ]
