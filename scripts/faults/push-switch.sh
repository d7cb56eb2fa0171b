#!/usr/bin/env bash
# Fault scenario: a gateway switches between pull and push during a backlog (docs/UPSTREAM.md
# "Push mode (tlog-mirror)": "A gateway may switch between pull and push at any time").
#
# A private PostgreSQL (fsync on) with two `edge-ledger-upstream` instances (a and b, both with
# the same [mirror] identity); one gateway (a real agent) with a backlog and a simulator that keeps
# publishing (100/s). It is enrolled for pull, and collected. Pull → push while the gateway takes
# a second backlog (published in 4 s; a quarter of it stored): the gateway is restarted with its
# `dc-1` upstream in `mode = "push"` (to instance b) while the registry still says pull (for a
# moment both write the log), then `gateways add --update --mode push` stops the collector.
# Push → pull during a third backlog: `gateways add --update --mode pull` first (the collector
# starts while the gateway still pushes), then the gateway is restarted with its pull entry.
# Expected: collection completes to the gateway's size; the database holds entries 0..size-1 once
# each, with the bytes the gateway signed, verified = staged = size (the checks of
# fleet-takeover.sh); what the gateway recorded as acknowledged (by pull acks or by the mirror's
# cosignature, one `dc-1` row) never exceeds what the database holds as verified, checked at each
# switch and at the end; the mirror acknowledged the second backlog and stored entries (what the
# collectors fetched after the switch back is reported).
#
# Usage: scripts/faults/push-switch.sh [--ci | --long] [--backlog N] [--seconds N]
#   --backlog N   readings of each of the three backlogs (default 8000)
#   --seconds N   how long the simulator keeps publishing, 100 readings/s (default 20)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/faults/fleet-lib.sh
source "$FAULTS_DIR/fleet-lib.sh"

backlog=8000 seconds=20 rate=100
parse_options 'backlog=100000 seconds=120' 'backlog=backlog seconds=seconds' "$@"

fault_start
start_broker
fleet_start
mirror_name=faults.example/mirror
"$BIN" keygen --alg ed25519 --name "$mirror_name" --out "$WORK/mirror" >"$WORK/mirror-keygen.log" 2>&1 ||
    die "keygen for the mirror failed: $(cat "$WORK/mirror-keygen.log")"
push_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
for name in a b; do
    upstream_instance "$name"
    cat >>"${UP_CONF[$name]}" <<TOML

[mirror]
name = "$mirror_name"
key_file = "$WORK/mirror/ed25519.key"

[[http.tokens]]
name = "gw-push"
token_sha256 = "$(printf %s "$push_token" | sha256sum | cut -d' ' -f1)"
TOML
done
migrated=$(upstream a migrate 2>&1) || die "migrate failed: $migrated"
mirror_key=$(upstream b --print-mirror-key 2>&1) || die "--print-mirror-key failed: $mirror_key"

fleet_gateway 1
conf=${GW_CONF[1]}
cp "$conf" "$conf.pull"
python3 - "$conf.pull" "$conf.push" "http://127.0.0.1:${UP_PORT[b]}/mirror" "$mirror_key" "$push_token" <<'EOF'
import sys
pull, push, url, key, token = sys.argv[1:6]
text = open(pull).read()
entry = '[[upstreams]]\nname = "dc-1"\nwitness = false\n'
assert text.endswith(entry), "the pull entry is not last"
text = text[: -len(entry)] + (
    '[[upstreams]]\nname = "dc-1"\nmode = "push"\nurl = "%s"\nmirror_key = "%s"\ntoken = "%s"\n'
    'timeout = "5s"\n\n[upstreams.backoff]\ninitial = "100ms"\nmax = "500ms"\n' % (url, key, token))
open(push, "w").write(text)
EOF
# The enrollment names the push token's client, so that the mode alone changes at each switch.
"$BIN" enroll --config "$conf" --url "${GW_API[1]}" --witness-client gw-push --output "$WORK/gw-1.enroll.toml" \
    >"$WORK/enroll-1.log" 2>&1 || die "edge-ledger enroll failed: $(cat "$WORK/enroll-1.log")"
sed -i 's/^pull_interval = .*/pull_interval = "1s"/' "$WORK/gw-1.enroll.toml"

gateway_start 1
gw_simulate 1 "$backlog" 0
gw_simulate_wait 1 180 >/dev/null
upstream_start a
upstream_start b
out=$(gw_enroll 1 a) || die "gateways add failed: $out"
grep -q '^enrolled' <<<"$out" || die "gateways add: $out"
gw_simulate 1 $((rate * seconds)) "$rate"

# switch_gateway MODE: restarts the gateway with its pull or push configuration.
switch_gateway() {
    gateway_stop 1
    cp "$conf.$1" "$conf"
    gateway_start 1
}
# switch_registry MODE: `gateways add --update --mode MODE` through instance a.
switch_registry() {
    local out
    out=$(gw_enroll 1 a --update --mode "$1") || die "gateways add --update --mode $1 failed: $out"
}
# within WHEN: the gateway's acknowledgement is at most what the database verified.
within() {
    local line
    line=$(acked_within 1) || die "$1: $line"
    progress "$1: $line"
}
# burst_start: another backlog of --backlog readings on the gateway's topics in 4 s, in the
# background (beside the steady simulator): the gateway still takes it after the switch;
# burst_wait: waits for it, prints the good readings.
BURSTS=0 BURST_PID=""
burst_start() {
    BURSTS=$((BURSTS + 1))
    "$BIN" simulate --broker "127.0.0.1:$BROKER_PORT" --topic-prefix gw1 --sensors 4 --rate $((backlog / 4)) \
        --count "$backlog" --qos 1 --client-id "sim-$SCENARIO-burst-$BURSTS" --json >"$WORK/burst-$BURSTS.out" 2>&1 &
    BURST_PID=$!
    track "$BURST_PID"
}
burst_wait() {
    wait_until 180 "burst" bash -c "! kill -0 $BURST_PID" || die "the backlog's simulator did not finish within 180 s"
    wait "$BURST_PID" 2>/dev/null || true
    untrack "$BURST_PID"
    sim_good "$WORK/burst-$BURSTS.out"
}
# in_backlog BEFORE: the gateway stored a quarter of the burst beyond BEFORE entries.
in_backlog() { [ "$(gw_entries 1)" -ge $(($1 + backlog / 4)) ]; }
# fetched_sum: the entries both instances' collectors fetched of the gateway since they started.
fetched_sum() {
    local name n sum=0
    for name in a b; do
        n=$(up_metric "$name" "edge_ledger_collector_entries_fetched_total{gateway=\"${GW_ORIGIN[1]}\"}")
        sum=$((sum + ${n:-0}))
    done
    echo "$sum"
}
# at_switch: "gateway N, verified V, staged S" (the gateway's size and the database's row).
at_switch() { gw_row 1 | awk -v n="$(gw_entries 1)" '{ print "gateway " n ", verified " $1 ", staged " $2 }'; }
pushed_to() {
    local acked
    acked=$(gw_metric 1 'edge_ledger_upstream_acked_size{upstream="dc-1"}')
    [ -n "$acked" ] && [ "$acked" -ge "$1" ]
}

pulling() { gw_verified_at_least 1 1; }
wait_until 60 "collecting" pulling || die "the upstream did not collect within 60 s ($(tail -3 "${UP_LOG[a]}"))"

# --- pull → push during a backlog: the gateway first (for a moment both write), then the registry --
before=$(gw_entries 1)
burst_start
wait_until 60 "backlog" in_backlog "$before" || die "the gateway did not take the backlog within 60 s"
at_push=$(at_switch)
switch_gateway push
within "the gateway pushes (at the switch: $at_push)"
switch_registry push
burst1=$(burst_wait)
size_then=$(gw_entries 1) # with the steady simulator's readings: the mirror must get beyond it
wait_until 120 "push acknowledged" pushed_to "$size_then" ||
    die "the mirror did not acknowledge $size_then within 120 s ($(gw_row 1); $(tail -3 "${UP_LOG[b]}"))"
within "pushed the backlog"
mirror_stored=$(up_metric b edge_ledger_mirror_entries_stored_total)
[ "${mirror_stored:-0}" -gt 0 ] || die "the mirror stored no entry"

# --- push → pull during a backlog: the registry first (for a moment both write), then the gateway --
before=$(gw_entries 1)
burst_start
wait_until 60 "backlog" in_backlog "$before" || die "the gateway did not take the backlog within 60 s"
at_pull=$(at_switch)
fetched_at_pull=$(fetched_sum)
switch_registry pull
within "the registry says pull (at the switch: $at_pull)"
switch_gateway pull
within "the gateway is pulled again"
burst2=$(burst_wait)
gw_simulate_wait 1 $((seconds + 120)) >/dev/null

# --- completion and the database's content --------------------------------------------------------
ok=0
fleet_collected_check 120 || ok=1
pulled_after=$(($(fetched_sum) - fetched_at_pull))
mirror_stored=$(up_metric b edge_ledger_mirror_entries_stored_total)
line=$(check_collected 1 "${FLEET_SIZES[0]}") || ok=1
# Pulls that lost the next entry to an upload (they go on at the next pull_interval).
raced=$(cat "${UP_LOG[a]}" "${UP_LOG[b]}" | grep -c 'staged by another writer meanwhile' || true)
echo "push-switch: pull -> push during a backlog of $burst1 ($at_push), push -> pull during a backlog of $burst2 ($at_pull); $line; the mirror stored ${mirror_stored:-0} entries, the collectors fetched $pulled_after after the switch back ($raced pulls lost the next entry to an upload and went on)"
[ $ok = 0 ]
