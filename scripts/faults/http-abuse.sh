#!/usr/bin/env bash
# Fault scenario 8, HTTP API abuse: requests without, with wrong and with malformed credentials
# on every protected endpoint; path traversal and non-canonical tile paths; tiles and proofs
# beyond the tree; negative, non-decimal and overflowing numbers; huge (declared, chunked) and
# slow bodies; slow headers; a 1 MiB header; 300 idle connections held while 200 real requests
# go on, then 300 concurrent requests (the agent serves at most 504 connections at once: it keeps
# its descriptors below libmosquitto's select() limit of 1,024, see docs/CONFIGURATION.md). Expected: the documented status codes (401 with
# WWW-Authenticate, 400, 403, 404, 413), no entry data in any response without valid
# credentials, slow clients cut off after http.request_timeout, RSS bounded, the agent alive.
# The checks are in http_abuse.py (one line each).
#
# Usage: scripts/faults/http-abuse.sh [--ci] [--connections N]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

connections=300 max_rss_growth_kb=$((128 * 1024)) request_timeout=3
parse_options 'connections=300' 'connections=connections' "$@"

fault_start
start_broker
make_gateway
UPSTREAM_TOKEN="faults-upstream-$RANDOM$RANDOM$RANDOM"
set_config http request_timeout "\"${request_timeout}s\""
set_config http header_timeout "\"${request_timeout}s\""
# This scenario plays many clients from one address (127.0.0.1): lift the per-client cap and the
# global cap to the most the agent allows (slow-clients.sh tests the caps themselves).
set_config http max_connections 504
set_config http max_connections_per_client 504
cat >>"$CONF" <<EOF

[[http.tokens]]
name = "dc-1"
token_sha256 = "$(printf %s "$UPSTREAM_TOKEN" | sha256sum | cut -d' ' -f1)"

[[upstreams]]
name = "dc-1"
witness = false
EOF
start_agent
simulate --sensors 4 --rate 0 --count 1000 --qos 1 >"$WORK/simulate.out" 2>&1 || die "the simulator failed"
wait_drained 1000 || die "the readings were not stored"
wait_until 30 "sealed" bash -c "[ \"\$(curl -fsS -H @'$WORK/token.hdr' '$API/metrics' | awk '\$1 == \"edge_ledger_sealed_size\" { print int(\$2) }')\" -ge 1000 ]" ||
    die "the readings were not sealed"

rss0=$(rss_kb "$AGENT_PID") fds0=$(fd_count "$AGENT_PID")
python3 "$FAULTS_DIR/http_abuse.py" 127.0.0.1 "$HTTP_PORT" "$TOKEN" "$UPSTREAM_TOKEN" 1000 "$request_timeout" \
    "$connections" >"$WORK/abuse.out" 2>&1 &
abuse_pid=$!
track $abuse_pid
rss_max=$rss0 fds_max=$fds0
while kill -0 $abuse_pid 2>/dev/null; do
    r=$(rss_kb "$AGENT_PID") f=$(fd_count "$AGENT_PID")
    [ "$r" -le "$rss_max" ] || rss_max=$r
    [ "$f" -le "$fds_max" ] || fds_max=$f
    kill -0 "$AGENT_PID" 2>/dev/null || die "the agent died under HTTP abuse: $(tail -5 "$AGENT_LOG")"
    sleep 0.2
done
wait $abuse_pid && abuse=0 || abuse=$?
untrack $abuse_pid
[ "${FAULTS_VERBOSE:-0}" = 1 ] && cat "$WORK/abuse.out" >&2
grep '^FAIL' "$WORK/abuse.out" >&2 || true
summary=$(tail -1 "$WORK/abuse.out")
# Connections are released again.
wait_until 30 "fds back" bash -c "[ \$(find /proc/$AGENT_PID/fd -mindepth 1 -maxdepth 1 | wc -l) -le $((fds0 + 10)) ]" &&
    fds_back=yes || fds_back=no
fds1=$(fd_count "$AGENT_PID")
stop_agent
verify_store "$DB" && verified=ok || verified=FAILED
echo "http-abuse: $summary; RSS $((rss0 / 1024)) -> max $((rss_max / 1024)) MiB, fds $fds0 -> max $fds_max -> $fds1; agent alive; verify $verified"
ok=1
[ $abuse -eq 0 ] || ok=0
[ $((rss_max - rss0)) -le $max_rss_growth_kb ] || { say "RSS grew by $(((rss_max - rss0) / 1024)) MiB"; ok=0; }
[ $fds_back = yes ] || { say "file descriptors not released: $fds1 (was $fds0)"; ok=0; }
[ "$verified" = ok ] && [ $ok = 1 ]
