#!/usr/bin/env bash
# Fault scenario: a pushing gateway's upload is cut, and the upstream dies during one
# (docs/UPSTREAM.md "Push mode (tlog-mirror)").
#
# A gateway with `mode = "push"` uploads to the reference upstream's [mirror] (SQLite store)
# through mirror_proxy.py. (1) Cuts: with a backlog stored while the upstream is away, the proxy
# cuts the gateway's add-entries requests after several numbers of body bytes (in the upload
# header, in the first package, in later ones), one add-checkpoint in its body, and drops the 200
# that carries the mirror's cosignature of the first complete upload. (2) SIGKILL: a second
# backlog, uploaded through the proxy at a limited rate; once part of it is stored, the upstream
# is killed with SIGKILL, then restarted. Expected: the gateway resumes where the mirror says,
# never sending entries the mirror said it holds and never sending entries after a cut without
# asking first (mirror_check.py resends over the proxy's log); the upload completes; the store
# holds every entry exactly once (verified = staged = entries = the gateway's size, the bytes of
# `edge-ledger export --format raw`; the upstream counts as stored exactly the entries it lacked:
# the backlog after the cuts, the rest of the log after the restart); the gateway's acknowledged
# size never exceeds what the upstream committed (checked right after the kill).
#
# Usage: scripts/faults/push-upload.sh [--ci | --long] [--backlog N] [--rate BYTES]
#   --backlog N   readings in each of the two backlogs (default 12000)
#   --rate BYTES  the proxy's upload rate during the SIGKILL phase (default 150000 bytes/s)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/faults/push-lib.sh
source "$FAULTS_DIR/push-lib.sh"

backlog=12000 rate=150000
cuts=40,1500,8000,25000,60000
parse_options 'backlog=200000 rate=400000; cuts=10,200,3000,9000,25000,45000,60000,80000,100000,110000' \
    'backlog=backlog rate=rate' "$@"

fault_start
start_broker
make_gateway
origin="faults.example/$SCENARIO"
push_upstream_init
push_gateway gw
start_agent

# --- 1: cuts ---------------------------------------------------------------------------------
# The backlog is stored while nothing answers at the mirror's address.
published=$(publish "$backlog")
size1=$(gw_sealed_settled 120)
push_upstream_start
proxy_start --cut-entries "$cuts" --cut-checkpoint 30 --drop-commit 1
acked_at() { [ "$(gw_acked)" = "$1" ]; }
wait_until 180 "acknowledged" acked_at "$size1" ||
    die "the gateway's acknowledged size is $(gw_acked), not $size1, 180 s after the upstream started ($(up_store "$origin"); proxy: $(tail -2 "$PROXY_LOG"))"
line=$(check_mirrored "$origin" "$size1")
progress "after the cuts: $line; $(python3 "$FAULTS_DIR/mirror_check.py" resends "$PROXY_LOG")"
# Cut inside their bodies (not after the last byte): at least as many requests as the schedule has.
cut_inside=$(python3 -c 'import json,sys; print(sum(1 for r in map(json.loads, open(sys.argv[1])) if r["cut"] is not None and r["cut"] < r["bytes"]))' "$PROXY_LOG")
[ "$cut_inside" -ge $(($(tr ',' '\n' <<<"$cuts" | wc -l) + 1)) ] ||
    die "only $cut_inside requests were cut inside their bodies (the backlog is too small for the cut schedule)"
grep -q '"dropped": true' "$PROXY_LOG" || die "no committed answer was dropped"
# Each entry was stored once: what the upstream counts as stored is the log's size.
stored1=$(up_series edge_ledger_mirror_entries_stored_total)
[ "$stored1" = "$size1" ] || die "the upstream counts $stored1 entries stored, the log has $size1"

# --- 2: the upstream is SIGKILLed during the upload of a backlog --------------------------------
proxy_stop
published=$((published + $(publish "$backlog")))
size2=$(gw_sealed_settled 120)
proxy_start --rate "$rate"
under_way() {
    local s
    s=$(up_store "$origin" | awk '{ print $4 }')
    [ "$s" -gt $((size1 + 512)) ]
}
wait_until 120 "upload under way" under_way || die "the second upload did not start within 120 s ($(up_store "$origin"))"
push_upstream_kill KILL
killed=$(up_store "$origin")
read -r _ v_kill _ s_kill _ <<<"$killed"
acked=$(gw_acked)
[ -n "$acked" ] && [ "$acked" -le "$v_kill" ] || die "after the kill the gateway holds an acknowledgement of $acked, the upstream committed $v_kill"
[ "$s_kill" -lt "$size2" ] || progress "the upload had completed before the kill landed (staged $s_kill)"
progress "SIGKILL with $((s_kill - size1)) of $((size2 - size1)) entries of the upload staged ($killed); gateway acked $acked"
sleep 1 # a few failed attempts of the gateway
push_upstream_start
wait_until 180 "acknowledged" acked_at "$size2" ||
    die "the gateway's acknowledged size is $(gw_acked), not $size2, 180 s after the restart ($(up_store "$origin"))"
line=$(check_mirrored "$origin" "$size2")
resends=$(python3 "$FAULTS_DIR/mirror_check.py" resends "$PROXY_LOG") || die "$resends"
# The restarted upstream stored exactly what it did not hold at the kill: nothing twice.
stored2=$(up_series edge_ledger_mirror_entries_stored_total)
[ "$stored2" = $((size2 - s_kill)) ] || die "the restarted upstream stored $stored2 entries; it held $s_kill of $size2"
stop_agent
verify_store "$DB" || die "the gateway's store does not verify: $(cat "$WORK/verify.last")"
echo "push-upload: $size2 entries pushed ($published readings in 2 backlogs); $resends; $cut_inside cut inside the body; SIGKILL with $((s_kill - size1)) of $((size2 - size1)) staged, gateway acked $acked <= committed $v_kill, the restarted upstream stored the other $stored2; the store holds each entry once, same bytes as the gateway"
