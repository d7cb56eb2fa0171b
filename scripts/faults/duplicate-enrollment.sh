#!/usr/bin/env bash
# Fault scenario, enrollment mistakes and registry changes while an upstream runs (docs/CLI.md
# `edge-ledger-upstream gateways`, docs/UPSTREAM.md "Enrollment without restarts").
#
# A private PostgreSQL (fsync on); one `edge-ledger-upstream` instance on it (registry_interval
# 1 s); gateway 1 (a real agent with a simulator that keeps publishing) pushes its checkpoints to
# the upstream's witness and is pulled by it, enrolled with `edge-ledger enroll` → `gateways add
# --from`. Expected:
#   - enrolling the same origin again exits 1 with "already enrolled", and changes nothing;
#   - `gateways add --update` with a changed setting succeeds (`gateways show`: the new value, a
#     new revision) and collection goes on;
#   - `gateways disable`: the running upstream stops collecting it within 3 registry intervals
#     (its log says "stopped collecting"); afterwards its verified size stays put while the
#     gateway keeps growing, and the witness refuses its checkpoints as an unknown log
#     (edge_ledger_witness_requests_total{outcome="unknownLog"} grows, the gateway logs the
#     refusal); `gateways enable` resumes collection (measured);
#   - a new gateway enrolled while the upstream runs is first collected within 15 s (measured from
#     the start of `gateways add` to its first verified checkpoint in the database);
#   - at the end both gateways' logs are in the database once each, in order, with the gateways'
#     bytes, acked ≤ verified.
# Then, on SQLite (storage.path): what `gateways add` does while `run` holds the store (reported;
# a clear error naming the lock is expected), and that it enrolls once `run` stopped.
#
# Usage: scripts/faults/duplicate-enrollment.sh [--ci | --long] [--paused N]
#   --paused N   seconds the disabled gateway is watched not being collected (default 5)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
FLEET_REGISTRY_INTERVAL=1s
# shellcheck source=scripts/faults/fleet-lib.sh
source "$FAULTS_DIR/fleet-lib.sh"

paused=5 rate=50 first_limit=15
parse_options 'paused=60' 'paused=paused' "$@"

fault_start
start_broker
fleet_start
upstream_instance a
migrated=$(upstream a migrate 2>&1) || die "migrate failed: $migrated"
witness_key=$(upstream a run --print-verifier-key 2>"$WORK/witness-key.log") ||
    die "--print-verifier-key failed: $(cat "$WORK/witness-key.log")"
fleet_gateway 1 "${UP_PORT[a]}" "$witness_key"
gateway_start 1
gw_simulate 1 1000000 "$rate" # stopped below
upstream_start a
origin=${GW_ORIGIN[1]}
entry="$WORK/gw-1.enroll.toml"

# --- enrollment, twice ---------------------------------------------------------------------------
out=$(gw_enroll 1 a) || die "the first gateways add failed: $out"
grep -q '^enrolled' <<<"$out" || die "the first gateways add: $out"
wait_until 30 "collected" gw_verified_at_least 1 1 || die "gw-1 was not collected within 30 s ($(tail -3 "${UP_LOG[a]}"))"
revision() { upstream a gateways show "$origin" 2>/dev/null | sed -n 's/.*revision \([0-9]*\).*/\1/p'; }
rev1=$(revision)
status=0
out=$(gw_enroll 1 a) || status=$?
[ $status = 1 ] || die "enrolling $origin again exited $status (expected 1): $out"
grep -q "already enrolled" <<<"$out" || die "enrolling $origin again: no 'already enrolled' in: $out"
again=$(grep -o -m1 "the gateway [^ ]* is already enrolled" <<<"$out")
[ "$(revision)" = "$rev1" ] || die "the refused enrollment changed the registry (revision $rev1 -> $(revision))"

# --- --update ----------------------------------------------------------------------------------
sed -i 's/^timeout = .*/timeout = "10s"/' "$entry"
out=$(gw_enroll 1 a --update) || die "gateways add --update failed: $out"
grep -q '^enrolled' <<<"$out" || die "gateways add --update: $out"
shown=$(upstream a gateways show "$origin" 2>&1) || die "gateways show failed: $shown"
grep -q '^timeout = "10s"' <<<"$shown" || die "gateways show does not have the updated timeout: $shown"
rev2=$(revision)
[ "$rev2" -gt "$rev1" ] || die "--update did not change the revision ($rev1 -> $rev2)"
v=$(gw_verified 1)
wait_until 20 "collecting after --update" gw_verified_at_least 1 $((v + 1)) ||
    die "collection did not go on after --update ($(tail -3 "${UP_LOG[a]}"))"

# --- disable -------------------------------------------------------------------------------------
unknown() { local n; n=$(up_metric a 'edge_ledger_witness_requests_total{outcome="unknownLog"}'); echo "${n:-0}"; }
stops() { grep -c "stopped collecting.*gateway=$origin" "${UP_LOG[a]}" || true; }
unknown0=$(unknown)
stops0=$(stops)
out=$(upstream a gateways disable "$origin" 2>&1) || die "gateways disable failed: $out"
t_disable=$(now_s)
stopped() { [ "$(stops)" -gt "$stops0" ]; }
wait_until 10 "stopped collecting" stopped ||
    die "the upstream did not stop collecting $origin within 10 s of gateways disable ($(tail -3 "${UP_LOG[a]}"))"
stop_time=$(elapsed_since "$t_disable")
python3 -c "import sys; sys.exit(0 if $stop_time <= 3 * ${FLEET_REGISTRY_INTERVAL%s} + 1 else 1)" ||
    die "stopping took $stop_time s (registry_interval $FLEET_REGISTRY_INTERVAL)"
v1=$(gw_verified 1) s1=$(gw_metric 1 edge_ledger_sealed_size)
sleep "$paused"
v2=$(gw_verified 1) s2=$(gw_metric 1 edge_ledger_sealed_size)
unknown1=$(unknown)
[ "$v2" = "$v1" ] || die "gw-1 was disabled but its verified size grew from $v1 to $v2"
[ "$s2" -gt "$s1" ] || die "gw-1 did not grow while disabled ($s1 -> $s2): the check proves nothing"
[ "$unknown1" -gt "$unknown0" ] ||
    die "the witness did not refuse gw-1's checkpoints as an unknown log (unknownLog $unknown0 -> $unknown1)"
grep -q "unknown log" "${GW_LOG[1]}" || die "the gateway's log does not show the witness's refusal"
[ "$(gw_holder 1)" = - ] || die "a disabled gateway still has a lease holder: $(gw_holder 1)"

# --- enable --------------------------------------------------------------------------------------
out=$(upstream a gateways enable "$origin" 2>&1) || die "gateways enable failed: $out"
t_enable=$(now_s)
wait_until 30 "collecting again" gw_verified_at_least 1 $((v2 + 1)) ||
    die "collection did not resume within 30 s of gateways enable ($(tail -3 "${UP_LOG[a]}"))"
resumed=$(elapsed_since "$t_enable")
progress "disabled: stopped in ${stop_time} s, verified stayed $v1 while the gateway went $s1 -> $s2, unknownLog $unknown0 -> $unknown1; enabled: collecting ${resumed} s later"

# --- a new gateway, enrolled while the upstream runs -----------------------------------------
fleet_gateway 2 "${UP_PORT[a]}" "$witness_key"
gateway_start 2
gw_simulate 2 500 0
gw_simulate_wait 2 60 >/dev/null
gw_simulate 2 1000000 "$rate"
t_add=$(now_s)
out=$(gw_enroll 2 a) || die "gateways add of gw-2 failed: $out"
grep -q '^enrolled' <<<"$out" || die "gateways add of gw-2: $out"
wait_until 30 "gw-2 collected" gw_verified_at_least 2 1 ||
    die "gw-2 was not collected within 30 s of its enrollment ($(tail -3 "${UP_LOG[a]}"))"
first=$(elapsed_since "$t_add")
progress "gw-2 enrolled while running: first verified checkpoint ${first} s after gateways add started"
python3 -c "import sys; sys.exit(0 if $first <= $first_limit else 1)" ||
    die "gw-2 was first collected $first s after its enrollment (limit $first_limit s)"

# --- completion -----------------------------------------------------------------------------------
gw_simulate_stop 1
gw_simulate_stop 2
ok=0
fleet_collected_check 60 || ok=1
sizes=("${FLEET_SIZES[@]}")
upstream_alive a || die "the upstream exited"
upstream_stop a

# --- SQLite: the CLI while `run` holds the store ------------------------------------------------
upstream_instance s "path = \"$WORK/up-s/upstream.db\"
durability = \"process\""
upstream_start s
status=0
out=$(gw_enroll 1 s) || status=$?
printf '%s\n' "$out" >"$WORK/sqlite-add.out"
list_status=0
upstream s gateways list >"$WORK/sqlite-list.out" 2>&1 || list_status=$?
progress "SQLite while run holds the store: gateways add exit $status: $(head -1 "$WORK/sqlite-add.out"); gateways list exit $list_status"
[ $status = 1 ] && grep -q "already open for writing" <<<"$out" ||
    die "on SQLite, gateways add while run holds the store exited $status: $out"
grep -q "edge-ledger-upstream process" <<<"$out" || die "on SQLite, the refusal does not name the upstream: $out"
sqlite_running="gateways add exit 1 (store already open for writing, held by run), gateways list exit $list_status"
upstream_stop s
status=0
out=$(gw_enroll 1 s) || status=$?
[ $status = 0 ] && grep -q '^enrolled' <<<"$out" || die "on SQLite with run stopped, gateways add failed (exit $status): $out"

echo "duplicate-enrollment: second enrollment exit 1 ($again); --update changed the timeout (revision $rev1 -> $rev2); disable stopped collection in ${stop_time} s (verified stayed $v1 while the gateway grew to $s2, witness unknownLog $unknown0 -> $unknown1), enable resumed it in ${resumed} s; a gateway enrolled while running first collected in ${first} s; ${sizes[*]} entries collected once each, same bytes, acked <= verified; SQLite while run holds the store: $sqlite_running, enrolled after it stopped"
[ $ok = 0 ]
