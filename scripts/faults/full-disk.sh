#!/usr/bin/env bash
# Fault scenario 3, full disk: the store lives on a tiny tmpfs (mounted by this script; needs
# root). A numbered QoS 1 stream fills it. Expected: the agent stops acknowledging (the broker
# keeps the backlog), /readyz turns 503 with the reason, edge_ledger_store_failures_total grows
# and the log says `the store refuses readings; acknowledgements are withheld`; the store stays
# consistent (verify passes while the disk is full). Then the file system is grown (remount
# with a larger size): the agent resumes by itself, /readyz is 200 again, and every published
# reading is in the log.
#
# Usage: scripts/faults/full-disk.sh [--ci] [--count N]
#   --ci   4 MiB of free space, 40000 readings (default)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

count=40000 rate=0 sensors=10 size_kb=4096
parse_options 'count=200000 size_kb=16384' 'count=count' "$@"

[ "$(id -u)" = 0 ] || { say "needs root (mounts a tmpfs)"; exit 2; }
fault_start
disk="$WORK/disk"
mkdir -p "$disk"
mount -t tmpfs -o "size=${size_kb}k,mode=0750" edge-ledger-faults "$disk" ||
    die "cannot mount a tmpfs on $disk (needs CAP_SYS_ADMIN)"
at_exit "umount -l '$disk' 2>/dev/null"

start_broker
make_gateway
set_config storage path "\"$disk/ledger.db\""
DB="$disk/ledger.db"
start_agent
[ "$(readyz_code)" = 200 ] || wait_until 30 "ready" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/readyz)\" = 200 ]" ||
    die "the agent is not ready before the test"

simulate --sensors "$sensors" --rate "$rate" --count "$count" --qos 1 --json >"$WORK/simulate.out" 2>&1 &
sim_pid=$!
track $sim_pid

# 1. The disk fills: store failures counted, readiness false.
full() { [ "$(metric edge_ledger_store_failures_total)" != "" ] && [ "$(metric edge_ledger_store_failures_total)" != 0 ]; }
wait_until 180 "disk full" full || die "no store failure within 180 s ($(df -k "$disk" | tail -1))"
df_full=$(df -k "$disk" | awk 'NR == 2 { print $3 "k used of " $2 "k" }')
wait_until 30 "readyz 503" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/readyz)\" = 503 ]" ||
    die "/readyz did not turn 503 while the disk is full"
ready_body=$(curl -s "$API/readyz" | tr '\n' ' ')
grep -q "the store refuses readings; acknowledgements are withheld" "$AGENT_LOG" ||
    die "no log line 'the store refuses readings; acknowledgements are withheld'"
# Nothing is acknowledged any more: the tree stops growing while the backlog waits at the broker.
size1=$(metric edge_ledger_tree_size)
sleep 3
size2=$(metric edge_ledger_tree_size)
failures=$(metric edge_ledger_store_failures_total)
kill -0 "$AGENT_PID" || die "the agent exited on a full disk"
verify_store "$DB" && full_verify=ok || full_verify=FAILED
progress "full: $df_full; tree $size1 -> $size2; store failures $failures; readyz: $ready_body; verify $full_verify"
[ "$full_verify" = ok ] || { cat "$WORK/verify.last" >&2; die "the store does not verify while the disk is full"; }

# 2. Space returns: the agent resumes by itself.
mount -o "remount,size=$((size_kb * 16))k" "$disk" || die "cannot grow the tmpfs"
wait_until 120 "readyz 200" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' $API/readyz)\" = 200 ]" ||
    die "/readyz did not return to 200 within 120 s after space returned"
finish_stream $sim_pid "$WORK/simulate.out" 300
result=$RESULT counted=$COUNTED verified=$VERIFIED good=$GOOD
echo "full-disk: filled at $df_full (tree held at $size2, $failures store failures, readyz 503: $ready_body); after growing: $result; verify $verified"
[ "$verified" = ok ] && [ "$size1" = "$size2" ] && [ $counted -eq 0 ]
