#!/usr/bin/env bash
# Fault scenario, a fleet instance dies mid-collection (docs/UPSTREAM.md "A fleet: several
# instances on one PostgreSQL database").
#
# A private PostgreSQL (fsync on) with the schema from `edge-ledger-upstream migrate`; two
# `edge-ledger-upstream` instances on it (instance_id a and b, lease 3 s, registry_interval
# 500 ms); 3 gateways (real agents), each with a backlog of readings and a simulator that keeps
# publishing, enrolled while both instances run with `edge-ledger enroll` → `edge-ledger-upstream
# gateways add --from`. Once both instances hold leases and collection is under way, the instance
# with more gateways is killed with SIGKILL. Expected: the other takes its gateways over within
# lease + 4 s (measured from the kill to the last lease changing hands) and goes on collecting
# them; the killed instance, restarted, rejoins and gets its fair share back (each instance at
# least ⌊gateways/2⌋); collection completes to every gateway's size; in the database every
# gateway's entries are 0..size-1 once each (count = distinct = max+1 = verified = staged), with
# the bytes the gateway signed (SHA-256 over `edge-ledger export --format raw`), and nothing is
# acknowledged beyond what was committed (acked ≤ verified in the database and on the gateway).
#
# Usage: scripts/faults/fleet-takeover.sh [--ci | --long] [--gateways N] [--backlog N] [--seconds N]
#   --backlog N   readings each gateway holds before collection starts (default 12000)
#   --seconds N   how long the simulators keep publishing, 100 readings/s each (default 20)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/faults/fleet-lib.sh
source "$FAULTS_DIR/fleet-lib.sh"

gateways=3 backlog=12000 seconds=20 rate=100
parse_options 'backlog=30000 seconds=90' 'gateways=gateways backlog=backlog seconds=seconds' "$@"
[ "$gateways" -ge 2 ] || die "--gateways must be at least 2"
lease_s=${FLEET_LEASE%s}

fault_start
start_broker
fleet_start
upstream_instance a
upstream_instance b
migrated=$(upstream a migrate 2>&1) || die "migrate failed: $migrated"
progress "migrate: $migrated"

for i in $(seq "$gateways"); do
    fleet_gateway "$i"
    gateway_start "$i"
done
# The backlog, stored before any instance collects.
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" "$backlog" 0; done
for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" 180 >/dev/null; done

upstream_start a
upstream_start b
instances_live() { [ "$(db 'SELECT count(*) FROM upstream_instances')" = 2 ]; }
wait_until 30 "both instances registered" instances_live ||
    die "the instances did not record their heartbeats within 30 s"
# Traffic while everything below happens.
for i in "${FLEET_GWS[@]}"; do gw_simulate "$i" $((rate * seconds)) "$rate"; done
enroll() {
    local out
    out=$(gw_enroll "$1" a) || die "gateways add of gw-$1 failed: $out"
    grep -q '^enrolled' <<<"$out" || die "gateways add of gw-$1: $out"
}
last=${FLEET_GWS[${#FLEET_GWS[@]} - 1]}
for i in "${FLEET_GWS[@]}"; do [ "$i" = "$last" ] || enroll "$i"; done

# --- both instances collect -------------------------------------------------------------------
both_collect() {
    local i
    case $(fleet_split) in *a\ *b\ *) ;; *) return 1 ;; esac
    for i in "${FLEET_GWS[@]}"; do
        [ "$i" = "$last" ] || [ "$(gw_row "$i" | cut -d' ' -f2)" -gt 0 ] || return 1 # collection started
    done
}
wait_until 60 "both instances collect" both_collect ||
    die "both instances did not collect within 60 s (leases: $(fleet_holders); a: $(tail -2 "${UP_LOG[a]}"); b: $(tail -2 "${UP_LOG[b]}"))"

# --- the last gateway's catch-up; its collector's instance is killed in the middle of it ---------
# Whoever takes the last gateway holds more gateways than the other. Best killed while entries of
# that catch-up are staged (stored in batches of 16 bundles) but not verified yet; if the catch-up
# ends before that is seen, it is killed anyway: collection is under way (the simulators publish).
enroll "$last"
deadline=$((SECONDS + 30))
victim="" caught=""
while [ $SECONDS -lt $deadline ]; do
    read -r v s _ holder _ <<<"$(gw_row "$last")"
    [ -n "${holder:-}" ] && [ "$holder" != - ] || { sleep 0.02; continue; }
    if [ "$s" -gt "$v" ] || [ "$v" -ge "$backlog" ]; then # in the middle of it, or it is over
        [ "$s" -gt "$v" ] && caught=1
        victim=$holder
        upstream_kill "$victim" KILL
        t_kill=$(now_s)
        break
    fi
done
[ -n "$victim" ] || die "gw-$last was not collected within 30 s of its enrollment ($(fleet_holders))"
survivor=a
[ "$victim" != a ] || survivor=b
taken=()
for i in "${FLEET_GWS[@]}"; do [ "$(gw_holder "$i")" != "$victim" ] || taken+=("$i"); done
if [ "$victim" = a ]; then
    split_before="a ${#taken[@]}, b $((gateways - ${#taken[@]}))"
else
    split_before="a $((gateways - ${#taken[@]})), b ${#taken[@]}"
fi
left=""
for i in "${taken[@]}"; do left+="gw-$i $(gw_row "$i" | awk '{ print "verified " $1 ", staged " $2 }'); "; done
when="during the catch-up of gw-$last"
[ -n "$caught" ] || when="after the catch-up of gw-$last (its middle was not seen)"
progress "split $split_before; killed $victim (SIGKILL) $when; it left ${left%; }"
# What the dead instance acknowledged, the gateways recorded: never beyond what it committed.
for i in "${taken[@]}"; do
    acked=$(acked_within "$i") || die "after the kill: $acked"
    progress "after the kill: $acked"
done

moved() {
    local i
    for i in "${taken[@]}"; do [ "$(gw_holder "$i")" = "$survivor" ] || return 1; done
}
wait_until $((lease_s + 20)) "takeover" moved ||
    die "$survivor did not take over ${taken[*]} within $((lease_s + 20)) s (leases: $(fleet_holders))"
takeover=$(elapsed_since "$t_kill")
verified_at_takeover=()
for i in "${taken[@]}"; do verified_at_takeover+=("$(gw_verified "$i")"); done
progressed() {
    local k=0 i
    for i in "${taken[@]}"; do
        gw_verified_at_least "$i" $((verified_at_takeover[k] + 1)) || return 1
        k=$((k + 1))
    done
}
wait_until 60 "the survivor collects" progressed ||
    die "$survivor holds the leases but did not verify more of ${taken[*]} within 60 s ($(tail -3 "${UP_LOG[$survivor]}"))"
first_progress=$(elapsed_since "$t_kill")
progress "takeover by $survivor ${takeover} s after the kill, first checkpoint verified by it ${first_progress} s after"
python3 -c "import sys; sys.exit(0 if $takeover <= $lease_s + 4 else 1)" ||
    die "the takeover took $takeover s (lease ${FLEET_LEASE}: expected at most $((lease_s + 4)) s)"
grep -q "collecting.*lease_token" "${UP_LOG[$survivor]}" || die "the survivor's log does not say it collects"

# --- the killed instance rejoins ---------------------------------------------------------------
upstream_start "$victim"
t_rejoin=$(now_s)
rejoined() { [ "$(db "SELECT count(*) FROM gateways WHERE lease_holder = '$victim'")" -ge 1 ]; }
wait_until 30 "rejoined" rejoined || die "$victim restarted but took no lease within 30 s (leases: $(fleet_holders))"
rejoin=$(elapsed_since "$t_rejoin")
sleep 2 # a few registry rounds: the split must be stable, not a passing state
split_after=$(fleet_split)
fair=$((gateways / 2))
for name in a b; do
    held=$(db "SELECT count(*) FROM gateways WHERE lease_holder = '$name'")
    [ "$held" -ge "$fair" ] || die "after the restart $name holds $held gateways (fair share at least $fair; split: $split_after)"
done
progress "$victim rejoined: its first lease ${rejoin} s after it started; split $split_after"
listing=$(upstream "$survivor" gateways list 2>&1) || die "gateways list failed: $listing"
[ "${FAULTS_VERBOSE:-0}" = 1 ] && printf '%s\n' "$listing" >&2
for i in "${FLEET_GWS[@]}"; do
    grep -q "^${GW_ORIGIN[$i]}	pull	yes	.*	$(gw_holder "$i")\$" <<<"$listing" ||
        die "gateways list does not show gw-$i collected by $(gw_holder "$i"): $listing"
done

# --- completion and the database's content ------------------------------------------------------
for i in "${FLEET_GWS[@]}"; do gw_simulate_wait "$i" $((seconds + 120)) >/dev/null; done
ok=0
fleet_collected_check 120 || ok=1
sizes=("${FLEET_SIZES[@]}")
fetched_after=0
for i in "${FLEET_GWS[@]}"; do
    n=$(up_metric "$victim" "edge_ledger_collector_entries_fetched_total{gateway=\"${GW_ORIGIN[$i]}\"}")
    fetched_after=$((fetched_after + ${n:-0}))
done
upstream_alive "$survivor" || die "$survivor exited"
total=$FLEET_TOTAL
echo "fleet-takeover: $gateways gateways, ${FLEET_LEASE} lease; $victim SIGKILLed $when holding ${#taken[@]} (split $split_before), $survivor took them over in ${takeover} s (first verified checkpoint ${first_progress} s after the kill); $victim rejoined in ${rejoin} s, split $split_after, fetched $fetched_after entries after restarting; $total entries collected (${sizes[*]}), each once, in order, same bytes as the gateways, acked <= verified"
[ $ok = 0 ]
