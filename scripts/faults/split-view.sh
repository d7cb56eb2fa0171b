#!/usr/bin/env bash
# Fault scenario: a split view (docs/UPSTREAM.md "One view per origin").
#
# One gateway key signs two histories of one origin: gateway B (its own store) is pulled by the
# reference upstream's collector; gateway A (same key and origin, another store) pushes its
# checkpoints to the same upstream's witness. A's checkpoint is no larger than what the
# collector verified of B, so the witness can compare it with the collected tree at its size.
# Expected: the witness refuses to cosign A (422, fork alarm), both signed checkpoints are kept
# as fork evidence and printed by `edge-ledger-upstream run --print-forks` (exit status 3),
# edge_ledger_upstream_forks_total and edge_ledger_upstream_forked say so, the upstream logs
# FORK ALARM, and nothing more of the origin is anchored — also after B grows and after the
# upstream restarts (the evidence is in its store).
#
# Usage: scripts/faults/split-view.sh [--ci | --long] [--b N] [--a N]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
count_b=600 count_a=300
parse_options 'count_b=20000 count_a=10000' 'b=count_b a=count_a' "$@"
[ "$count_a" -lt "$count_b" ] || die "--a must be smaller than --b (A's checkpoint must be collected)"

fault_start
start_broker

# --- gateway B and the upstream that collects it ---------------------------------------------
make_gateway "$WORK/gw-b"
GW_B=$GW CONF_B=$CONF DB_B=$DB API_B=$API
origin="faults.example/$SCENARIO"
upstream="$WORK/upstream"
upstream_port=$(free_port)
mkdir -p "$upstream/anchors"
"$BIN" keygen --alg ed25519 --name faults.example/witness --out "$upstream/keys" >"$WORK/keygen.log" 2>&1 ||
    die "keygen failed: $(cat "$WORK/keygen.log")"
pull_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
cat >"$upstream/anchor.sh" <<'HOOK'
#!/bin/sh
tmp=$(mktemp "$1/.doc.XXXXXX") && cat >"$tmp" && mv "$tmp" "$tmp.json"
HOOK
{
    upstream_config faults.example/witness keys/ed25519.key "$upstream_port" "$origin" "$API_B" \
        "$GW_B/verifier-keys.txt" "token = \"$pull_token\""
    cat <<TOML
pull_interval = "1s"

[gateways.backoff]
initial = "200ms"
max = "1s"

[anchor]
command = ["/bin/sh", "$upstream/anchor.sh", "$upstream/anchors"]

[metrics]
allow_anonymous = true
TOML
} >"$upstream/upstream.toml"
witness_key=$("$UPSTREAM_BIN" run --config "$upstream/upstream.toml" --print-verifier-key 2>"$WORK/key.log") ||
    die "--print-verifier-key failed: $(cat "$WORK/key.log")"
cat >>"$CONF_B" <<TOML

[[http.tokens]]
name = "dc-1"
token_sha256 = "$(printf %s "$pull_token" | sha256sum | cut -d' ' -f1)"

[[upstreams]]
name = "dc-1"
witness = false
TOML

UPSTREAM_PID=""
start_upstream() {
    (cd "$upstream" && exec "$UPSTREAM_BIN" run --config upstream.toml) >>"$WORK/upstream.log" 2>&1 &
    UPSTREAM_PID=$!
    track "$UPSTREAM_PID"
    wait_until 30 "upstream" listening "$upstream_port" || die "the upstream did not listen (log: $(tail -3 "$WORK/upstream.log"))"
}
stop_upstream() {
    kill -TERM "$UPSTREAM_PID" 2>/dev/null || true
    wait "$UPSTREAM_PID" 2>/dev/null || true
    untrack "$UPSTREAM_PID"
}
up_metric() { # NAME: the value of the series of $origin
    curl -fsS -m 5 "http://127.0.0.1:$upstream_port/metrics" |
        awk -v m="$1{gateway=\"$origin\"}" '$1 == m { print int($2) }'
}
anchors() { find "$upstream/anchors" -name '*.json' | wc -l; }
collected_at_least() { [ "$(up_metric edge_ledger_collector_entries)" -ge "$1" ]; }

start_upstream
start_agent
simulate --sensors 4 --rate 2000 --count "$count_b" --qos 1 --client-id split-b >"$WORK/sim-b.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim-b.out")"
wait_drained "$count_b" || die "B's readings were not stored"
stop_agent # seals what is pending
size_b=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["entries"])' "$("$BIN" export --db "$DB_B" --summary 2>/dev/null)")
start_agent # B serves its final checkpoint
wait_until 60 "B collected" collected_at_least "$size_b" || die "the collector did not verify B's $size_b entries"
stop_agent # both gateways share a broker: one runs at a time
anchored_b=$(anchors)
progress "B: $size_b entries collected, $anchored_b anchored"

# --- gateway A: the same key and origin, another history, pushing to the witness --------------
make_gateway "$WORK/gw-a"
cp -p "$GW_B"/keys/* "$GW/keys/"
cp -p "$GW_B/verifier-keys.txt" "$GW/verifier-keys.txt"
cat >>"$CONF" <<TOML

[[upstreams]]
name = "dc-1"
url = "http://127.0.0.1:$upstream_port"
verifier_key = "$witness_key"

[upstreams.backoff]
initial = "200ms"
max = "1s"
TOML
start_agent
simulate --sensors 4 --rate 2000 --count "$count_a" --qos 1 --client-id split-a >"$WORK/sim-a.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim-a.out")"
wait_drained "$count_a" || die "A's readings were not stored"
wait_until 60 "fork alarm" grep -q "FORK ALARM" "$WORK/upstream.log" ||
    die "no fork alarm in the upstream's log (tail: $(tail -3 "$WORK/upstream.log"))"
forks=$(up_metric edge_ledger_upstream_forks_total)
forked=$(up_metric edge_ledger_upstream_forked)
[ "$forks" = 1 ] && [ "$forked" = 1 ] || die "metrics: forks_total=$forks forked=$forked (expected 1 and 1)"
wait_until 30 "the gateway's push refused" grep -q "fork alarm" "$AGENT_LOG" ||
    die "gateway A's pusher did not report the refusal"
size_a=$(grep -o 'pushed to the witness has root [^ ]* at size [0-9]*' "$WORK/upstream.log" | head -1 | grep -o '[0-9]*$' || true)
stop_agent

# --- the evidence, printable; anchoring stopped, also after growth and a restart ---------------
print_forks() {
    local status=0
    (cd "$upstream" && "$UPSTREAM_BIN" run --config upstream.toml --print-forks) >"$WORK/forks.txt" 2>&1 || status=$?
    [ $status = 3 ] || die "--print-forks exited $status (expected 3): $(head -3 "$WORK/forks.txt")"
    [ "$(grep -c "^    $origin\$" "$WORK/forks.txt")" -ge 2 ] || die "--print-forks does not show two signed checkpoints"
    grep -q "detected by the witness" "$WORK/forks.txt" || die "--print-forks: $(head -2 "$WORK/forks.txt")"
}
print_forks
GW=$GW_B CONF=$CONF_B DB=$DB_B API=$API_B
start_agent
simulate --sensors 4 --rate 2000 --count 200 --qos 1 --client-id split-b2 >"$WORK/sim-b2.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim-b2.out")"
wait_drained $((count_b + 200)) || die "B's new readings were not stored"
refusals=$(grep -c 'REFUSED.*fork alarm' "$WORK/upstream.log" || true)
stop_upstream
start_upstream
wait_until 30 "refused after restart" bash -c "[ \$(grep -c 'REFUSED.*fork alarm' '$WORK/upstream.log') -gt $refusals ]" ||
    die "the collector did not refuse the forked origin after the restart"
sleep 3 # a few more pulls
stop_agent
print_forks
[ "$(anchors)" = "$anchored_b" ] || die "anchored $(anchors) documents, $anchored_b before the alarm"
[ "$(up_metric edge_ledger_collector_entries)" = "$size_b" ] || die "the collector went on collecting the forked origin"

echo "split-view: witness refused A's checkpoint${size_a:+ (size $size_a)} against the collected B ($size_b entries): FORK ALARM logged, forks_total 1, evidence printed with both signed checkpoints (--print-forks exit 3), anchoring stopped ($anchored_b anchored before, none after B grew by 200 and the upstream restarted)"
