#!/usr/bin/env bash
# Fault scenario 11, slow clients: one client address (127.0.0.1) opens 200 connections that
# trickle request-head bytes, 200 idle ones and 200 that trickle a request body, against the
# agent's API and then against the upstream's witness listener; another address (127.0.0.2)
# asks for /healthz meanwhile. Expected, with the default limits except shorter deadlines:
# /healthz answers 200 within one second every time, the attacker holds at most
# http.max_connections_per_client connections, a trickled head is cut at http.header_timeout and
# a trickled body at http.request_timeout although bytes keep arriving, the counters say so,
# and both processes stay up. The checks are in slow_clients.py (one line each).
#
# Usage: scripts/faults/slow-clients.sh [--ci] [--connections N]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

connections=200 header_timeout=2 request_timeout=3 per_client=32
parse_options 'connections=1000' 'connections=connections' "$@"

fault_start
start_broker
make_gateway
set_config http header_timeout "\"${header_timeout}s\""
set_config http request_timeout "\"${request_timeout}s\""
start_agent

run_checks() { # run_checks NAME PORT PID
    local out=$WORK/$1.out status=0
    python3 "$FAULTS_DIR/slow_clients.py" "$1" "$2" "$connections" "$per_client" "$header_timeout" \
        "$request_timeout" >"$out" 2>&1 || status=$?
    [ "${FAULTS_VERBOSE:-0}" = 1 ] && cat "$out" >&2
    grep '^FAIL' "$out" >&2 || true
    kill -0 "$3" 2>/dev/null || { say "$1 died"; status=1; }
    tail -1 "$out"
    return $status
}

ok=1
agent_summary=$(run_checks agent "$HTTP_PORT" "$AGENT_PID") || ok=0
series() { # series NAME LABEL...: the value of the series of NAME with every LABEL (any order)
    local name=$1 label
    shift
    local lines
    lines=$({ metrics 2>/dev/null || true; } | grep "^$name{" || true)
    for label in "$@"; do lines=$(grep -F "$label" <<<"$lines" || true); done
    awk '{ print $2; exit }' <<<"$lines"
}
agent_refused=$(series edge_ledger_http_connections_refused_total 'listener="api"' 'reason="per_client"')
agent_cuts=$(series edge_ledger_http_deadline_cuts_total 'listener="api"' 'deadline="header"')

# The upstream's witness listener, with the same limits.
upstream_port=$(free_port)
"$BIN" keygen --alg ed25519 --name witness.faults.example --out "$WORK/witness" >"$WORK/witness-keygen.out" 2>&1 ||
    die "keygen for the witness failed: $(cat "$WORK/witness-keygen.out")"
{
    upstream_config witness.faults.example witness/ed25519.key "$upstream_port" "faults.example/$SCENARIO" \
        "$API" "$GW/keys/ed25519.pub" "token = \"$TOKEN\""
    printf 'pull_interval = "1s"\nacknowledge = false\n'
} >"$WORK/upstream.toml"
python3 - "$WORK/upstream.toml" "$header_timeout" "$request_timeout" <<'EOF'
import sys
path, header, request = sys.argv[1:4]
text = open(path).read()
text = text.replace("[http]\n", '[http]\nheader_timeout = "%ss"\nrequest_timeout = "%ss"\n' % (header, request), 1)
open(path, "w").write(text)
EOF
"$UPSTREAM_BIN" run --config "$WORK/upstream.toml" >"$WORK/upstream.log" 2>&1 &
upstream_pid=$!
track $upstream_pid
wait_until 60 "the upstream listens" curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$upstream_port/healthz" ||
    die "the upstream did not start: $(tail -5 "$WORK/upstream.log")"
upstream_summary=$(run_checks upstream "$upstream_port" "$upstream_pid") || ok=0
kill -TERM $upstream_pid 2>/dev/null || true
wait $upstream_pid 2>/dev/null || true
untrack $upstream_pid

stop_agent
echo "slow-clients: agent: $agent_summary (refused per client ${agent_refused:-absent}, header cuts ${agent_cuts:-absent}); upstream: $upstream_summary"
[ $ok = 1 ]
