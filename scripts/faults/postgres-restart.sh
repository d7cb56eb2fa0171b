#!/usr/bin/env bash
# Fault scenario, the fleet's database restarts during collection (docs/UPSTREAM.md "The
# upstream's store").
#
# A private PostgreSQL (fsync on); two `edge-ledger-upstream` instances on it (lease 3 s,
# registry_interval 500 ms) collecting 2 gateways, one each (real agents with a backlog and
# simulators that keep publishing, enrolled with `edge-ledger enroll` → `gateways add`, the
# enrolled settings' backoff left at its defaults). PostgreSQL is stopped during collection
# twice, each time for longer than the lease: a fast shutdown (SIGINT: the backends are
# terminated, a shutdown checkpoint), then a crash (SIGKILL to the postmaster and every backend:
# crash recovery at the next start). Expected each time: neither instance exits, /readyz of each
# turns 503 while the database is away and 200 again after it returns, what the gateways recorded
# as acknowledged is still at most what the database holds as verified, collection of every
# gateway resumes by itself (measured; leases may change hands, as every one expired meanwhile),
# and each instance's log says what happened (the store failure, and that the registry is
# readable again). At the end collection completes to every gateway's size, and the database
# holds each gateway's entries once, in order, with the gateway's bytes, acked ≤ verified (the
# checks of fleet-takeover.sh).
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
upstream_instance b
migrated=$(upstream a migrate 2>&1) || die "migrate failed: $migrated"
for i in $(seq "$gateways"); do
    fleet_gateway "$i"
    gateway_start "$i"
done
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" "$backlog" 0; done
for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" 180 >/dev/null; done
upstream_start a
upstream_start b
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" $((rate * seconds)) "$rate"; done
for i in "${FLEET_GWS[@]}"; do
    out=$(gw_enroll "$i" a) || die "gateways add of gw-$i failed: $out"
    grep -q '^enrolled' <<<"$out" || die "gateways add of gw-$i: $out"
done
collecting() {
    local i
    for i in "${FLEET_GWS[@]}"; do gw_verified_at_least "$i" 1 || return 1; done
}
both_hold() { case $(fleet_split) in *a\ *b\ *) ;; *) return 1 ;; esac; }
wait_until 60 "collecting" collecting || die "the upstreams did not collect within 60 s ($(tail -3 "${UP_LOG[a]}"))"
wait_until 30 "both instances collect" both_hold || die "both instances did not collect within 30 s ($(fleet_holders))"
readyz_is() { [ "$(up_readyz a)" = "$1" ] && [ "$(up_readyz b)" = "$1" ]; }
readyz_both() { echo "a $(up_readyz a), b $(up_readyz b)"; }
wait_until 15 "ready" readyz_is 200 || die "/readyz is $(readyz_both) before any fault"
progress "collecting: $(fleet_split)"

# outage SIGNAL NAME: stops the database with SIGNAL, checks the upstreams while it is away,
# starts it again, checks that they recover. Appends one summary to $outages.
outages=""
outage() {
    local signal=$1 name=$2 t0 t_back not_ready ready resumed body i acked
    local at_return=()
    t0=$(now_s)
    pg_halt "$signal" || die "PostgreSQL did not stop ($name)"
    wait_until 20 "not ready" readyz_is 503 ||
        die "/readyz is $(readyz_both), not 503 on both, 20 s after the database went away ($name)"
    not_ready=$(elapsed_since "$t0")
    body=$(curl -s -m 5 "http://127.0.0.1:${UP_PORT[a]}/readyz" | tr '\n' ' ' | cut -c1-160)
    sleep "$down"
    upstream_alive a && upstream_alive b ||
        die "an upstream exited while the database was away ($name): $(tail -2 "${UP_LOG[a]}" "${UP_LOG[b]}")"
    readyz_is 503 || die "/readyz is $(readyz_both) while the database is away ($name)"
    pg_launch || die "PostgreSQL did not start again ($name; log: $WORK/pg/postgres.log)"
    t_back=$(now_s)
    # After the restart (crash recovery for KILL) the database holds what was committed: nothing
    # the gateways recorded as acknowledged may be beyond it.
    for i in "${FLEET_GWS[@]}"; do
        acked=$(acked_within "$i") || die "after the $name: $acked"
        at_return+=("$(gw_verified "$i")")
    done
    wait_until 30 "ready again" readyz_is 200 ||
        die "/readyz is $(readyz_both), not 200 on both, 30 s after the database returned ($name)"
    ready=$(elapsed_since "$t_back")
    collected_more() {
        local k=0 i
        for i in "${FLEET_GWS[@]}"; do
            gw_verified_at_least "$i" $((at_return[k] + 1)) || return 1
            k=$((k + 1))
        done
    }
    wait_until 60 "collection resumed" collected_more ||
        die "collection did not resume within 60 s of the database's return ($name; $(fleet_holders); log: $(grep -v ' debug ' "${UP_LOG[a]}" | tail -2))"
    resumed=$(elapsed_since "$t_back")
    progress "$name: readyz 503 after ${not_ready} s ($body), database away $down s more, ready ${ready} s and every gateway collected again ${resumed} s after it returned; split $(fleet_split)"
    outages+="$name: 503 after ${not_ready} s, ready ${ready} s and collecting ${resumed} s after the database returned; "
}
outage INT "fast shutdown"
outage KILL "crash"

for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" $((seconds + 120)) >/dev/null; done
ok=0
fleet_collected_check 120 || ok=1
sizes=("${FLEET_SIZES[@]}")
upstream_alive a && upstream_alive b || die "an upstream exited"
split_end=$(fleet_split)

# What the upstreams' logs say about it.
store_errors=0 recovered=0 failed_pulls=0
for name in a b; do
    log=${UP_LOG[$name]}
    e=$(grep -c "cannot read the gateway registry or renew leases" "$log" || true)
    r=$(grep -c "the gateway registry is readable again" "$log" || true)
    f=$(grep -c "collection failed" "$log" || true)
    [ "$e" -ge 2 ] || { say "$name's log does not report the database's absence twice ($e)"; ok=1; }
    [ "$r" -ge 2 ] || { say "$name's log does not report the database's return twice ($r)"; ok=1; }
    store_errors=$((store_errors + e)) recovered=$((recovered + r)) failed_pulls=$((failed_pulls + f))
    handovers=$((${handovers:-0} + $(grep -c "stopped collecting" "$log" || true)))
    [ "${FAULTS_VERBOSE:-0}" = 1 ] && grep -E "cannot read the gateway registry|readable again|collection failed" "$log" | cut -c1-300 >&2
done
total=$FLEET_TOTAL
echo "postgres-restart: 2 instances; ${outages}both up throughout (leases handed over $handovers times, fenced; split at the end: $split_end), logs: $store_errors store failures, $recovered recoveries, $failed_pulls failed pulls; $total entries collected (${sizes[*]}), each once, in order, same bytes as the gateways, acked <= verified"
[ $ok = 0 ]
