#!/usr/bin/env bash
# Fault scenario, the fleet's database restarts during collection (docs/UPSTREAM.md "The
# upstream's store").
#
# A private PostgreSQL (fsync on); one `edge-ledger-upstream` instance on it collecting 2 gateways
# (real agents with a backlog and simulators that keep publishing, enrolled with `edge-ledger
# enroll` → `gateways add`, the enrolled settings' backoff left at its defaults). PostgreSQL is
# stopped during collection twice, for a few seconds each: a fast shutdown (SIGINT: the backends
# are terminated, a shutdown checkpoint), then a crash (SIGKILL to the postmaster and every
# backend: crash recovery at the next start). Expected each time: the upstream does not exit,
# /readyz turns 503 while the database is away and 200 again after it returns, collection resumes
# by itself (measured), and the upstream's log says what happened (the store failure, and that
# the registry is readable again). At the end collection completes to every gateway's size, and
# the database holds each gateway's entries once, in order, with the gateway's bytes, acked ≤
# verified (the checks of fleet-takeover.sh).
#
# Usage: scripts/faults/postgres-restart.sh [--ci | --long] [--backlog N] [--seconds N] [--down N]
#   --backlog N   readings each gateway holds before collection starts (default 3000)
#   --seconds N   how long the simulators keep publishing, 100 readings/s each (default 35)
#   --down N      seconds the database stays away after /readyz said so (default 3)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/faults/fleet-lib.sh
source "$FAULTS_DIR/fleet-lib.sh"

gateways=2 backlog=3000 seconds=35 rate=100 down=3
parse_options 'backlog=30000 seconds=150 down=30' 'backlog=backlog seconds=seconds down=down' "$@"

fault_start
start_broker
fleet_start
upstream_instance a
migrated=$(upstream a migrate 2>&1) || die "migrate failed: $migrated"
for i in $(seq "$gateways"); do
    fleet_gateway "$i"
    gateway_start "$i"
done
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" "$backlog" 0; done
for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" 180 >/dev/null; done
upstream_start a
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" $((rate * seconds)) "$rate"; done
for i in "${FLEET_GWS[@]}"; do
    out=$(gw_enroll "$i" a) || die "gateways add of gw-$i failed: $out"
    grep -q '^enrolled' <<<"$out" || die "gateways add of gw-$i: $out"
done
collecting() {
    local i
    for i in "${FLEET_GWS[@]}"; do gw_verified_at_least "$i" 1 || return 1; done
}
wait_until 60 "collecting" collecting || die "the upstream did not collect within 60 s ($(tail -3 "${UP_LOG[a]}"))"
readyz_is() { [ "$(up_readyz a)" = "$1" ]; }
wait_until 15 "ready" readyz_is 200 || die "/readyz is $(up_readyz a) before any fault"

verified_sum() {
    local i sum=0 v
    for i in "${FLEET_GWS[@]}"; do
        v=$(gw_verified "$i")
        sum=$((sum + ${v:-0}))
    done
    echo $sum
}

# outage SIGNAL NAME: stops the database with SIGNAL, checks the upstream while it is away, starts
# it again, checks that the upstream recovers. Appends one summary to $outages.
outages=""
outage() {
    local signal=$1 name=$2 t0 t_back not_ready ready resumed before body
    before=$(verified_sum)
    t0=$(now_s)
    pg_halt "$signal" || die "PostgreSQL did not stop ($name)"
    wait_until 20 "not ready" readyz_is 503 ||
        die "/readyz is $(up_readyz a), not 503, 20 s after the database went away ($name)"
    not_ready=$(elapsed_since "$t0")
    body=$(curl -s -m 5 "http://127.0.0.1:${UP_PORT[a]}/readyz" | tr '\n' ' ' | cut -c1-160)
    sleep "$down"
    upstream_alive a || die "the upstream exited while the database was away ($name): $(tail -3 "${UP_LOG[a]}")"
    readyz_is 503 || die "/readyz is $(up_readyz a) while the database is away ($name)"
    pg_launch || die "PostgreSQL did not start again ($name; log: $WORK/pg/postgres.log)"
    t_back=$(now_s)
    # After the restart (crash recovery for KILL) the database holds what was committed: nothing
    # the gateways recorded as acknowledged may be beyond it.
    for i in "${FLEET_GWS[@]}"; do
        acked=$(acked_within "$i") || die "after the $name: $acked"
    done
    wait_until 30 "ready again" readyz_is 200 ||
        die "/readyz is $(up_readyz a), not 200, 30 s after the database returned ($name)"
    ready=$(elapsed_since "$t_back")
    collected_more() { [ "$(verified_sum)" -gt "$before" ]; }
    wait_until 60 "collection resumed" collected_more ||
        die "collection did not resume within 60 s of the database's return ($name; verified $(verified_sum); log: $(grep -v ' debug ' "${UP_LOG[a]}" | tail -3))"
    resumed=$(elapsed_since "$t_back")
    progress "$name: readyz 503 after ${not_ready} s ($body), database away $down s more, ready ${ready} s and collecting ${resumed} s after it returned"
    outages+="$name: 503 after ${not_ready} s, ready ${ready} s and collecting ${resumed} s after the database returned; "
}
outage INT "fast shutdown"
outage KILL "crash"

sizes=()
for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" $((seconds + 120)) >/dev/null; done
for i in "${FLEET_GWS[@]}"; do sizes+=("$(gw_settle "$i" 60)"); done
complete() {
    local k=0 i
    for i in "${FLEET_GWS[@]}"; do
        gw_verified_at_least "$i" "${sizes[k]}" || return 1
        k=$((k + 1))
    done
}
wait_until 120 "collection complete" complete ||
    die "collection did not complete within 120 s (sizes ${sizes[*]}; rows: $(for i in "${FLEET_GWS[@]}"; do printf '[%s] ' "$(gw_row "$i")"; done))"
sleep 3 # the last acknowledgements (next pull)
ok=0 checks=""
k=0
for i in "${FLEET_GWS[@]}"; do
    line=$(check_collected "$i" "${sizes[k]}") || ok=1
    checks+="$line; "
    k=$((k + 1))
done
progress "${checks%; }"
upstream_alive a || die "the upstream exited"

# What the upstream's log says about it.
log=${UP_LOG[a]}
store_errors=$(grep -c "cannot read the gateway registry or renew leases" "$log" || true)
recovered=$(grep -c "the gateway registry is readable again" "$log" || true)
failed_pulls=$(grep -c "collection failed" "$log" || true)
[ "$store_errors" -ge 2 ] || { say "the log does not report the database's absence twice ($store_errors)"; ok=1; }
[ "$recovered" -ge 2 ] || { say "the log does not report the database's return twice ($recovered)"; ok=1; }
[ "${FAULTS_VERBOSE:-0}" = 1 ] && grep -E "cannot read the gateway registry|readable again|collection failed" "$log" | cut -c1-300 >&2
total=0
for s in "${sizes[@]}"; do total=$((total + s)); done
echo "postgres-restart: ${outages}upstream up throughout, log: $store_errors store failures, $recovered recoveries, $failed_pulls failed pulls; $total entries collected (${sizes[*]}), each once, in order, same bytes as the gateways, acked <= verified"
[ $ok = 0 ]
