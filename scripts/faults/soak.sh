#!/usr/bin/env bash
# Fault scenario 6, soak (not in CI): the agent ingests a numbered QoS 1 stream at a moderate
# rate for an hour while an upstream-like client pulls the checkpoint every few seconds. Every
# 10 s it records RSS, open file descriptors, CPU, the mean and the 99th percentile of the
# append latency (from the edge_ledger_append_duration_seconds histogram over the interval)
# and the time to answer GET /checkpoint. At the end: every reading stored, verify passes, and
# RSS and fds flat (after a warm-up of a tenth of the run).
#
# Usage: scripts/faults/soak.sh [--minutes N] [--rate R]   (default 60 minutes at 200/s)
#   samples go to FAULTS_SOAK_CSV (default: soak-<date>.csv in the current directory)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"

minutes=60 rate=200 sensors=20 interval=10
parse_options '' 'minutes=minutes rate=rate' "$@"
csv=${FAULTS_SOAK_CSV:-$PWD/soak-$(date -u +%Y%m%dT%H%M%SZ).csv}

fault_start
start_broker
make_gateway
start_agent
count=$((minutes * 60 * rate))
simulate --sensors "$sensors" --rate "$rate" --count "$count" --qos 1 --json >"$WORK/simulate.out" 2>&1 &
sim_pid=$!
track $sim_pid

# The histogram's buckets, sum and count at one moment, as "le:count ... sum count".
histogram() {
    metrics 2>/dev/null | awk '
        /^edge_ledger_append_duration_seconds_bucket/ { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5); printf "%s:%s ", le, $2 }
        /^edge_ledger_append_duration_seconds_sum/ { s = $2 }
        /^edge_ledger_append_duration_seconds_count/ { c = $2 }
        END { printf "| %s %s\n", s, c }'
}
# mean and p99 (upper bucket bound, ms) between two histogram snapshots; "- -" when either
# snapshot is incomplete (the API did not answer: the sample says so instead of failing the run).
latency() {
    python3 - "$1" "$2" <<'EOF'
import sys
def parse(s):
    buckets, tail = s.split("|")
    b = [(float("inf") if k == "+Inf" else float(k), float(v)) for k, v in (x.split(":") for x in buckets.split())]
    total, count = (float(x) for x in tail.split())
    return b, total, count
try:
    (b0, s0, c0), (b1, s1, c1) = parse(sys.argv[1]), parse(sys.argv[2])
except ValueError:
    print("- -"); sys.exit()
n = c1 - c0
if n <= 0:
    print("- -"); sys.exit()
mean = (s1 - s0) / n * 1000
p99 = next((le for (le, v1), (_, v0) in zip(b1, b0) if v1 - v0 >= 0.99 * n), float("inf")) * 1000
print(f"{mean:.3f} {p99:g}")
EOF
}

echo "elapsed_s,rss_kb,fds,cpu_percent,tree_size,append_mean_ms,append_p99_ms,checkpoint_get_ms" >"$csv"
start=$SECONDS end=$((SECONDS + minutes * 60))
h0=$(histogram) c0=$(cpu_ticks "$AGENT_PID") t0=$(date +%s.%N)
while [ $SECONDS -lt $end ]; do
    sleep "$interval"
    kill -0 "$AGENT_PID" || die "the agent exited during the soak"
    h1=$(histogram) c1=$(cpu_ticks "$AGENT_PID") t1=$(date +%s.%N)
    read -r mean p99 < <(latency "$h0" "$h1")
    get_ms=$(curl -fsS -o /dev/null -w '%{time_total}' -H @"$WORK/token.hdr" "$API/checkpoint" | awk '{ printf "%.1f", $1 * 1000 }') || get_ms=-
    cpu=$(python3 -c "print(round(100 * ($c1 - $c0) / $CLK_TCK / ($t1 - $t0), 1))")
    line="$((SECONDS - start)),$(rss_kb "$AGENT_PID"),$(fd_count "$AGENT_PID"),$cpu,$(metric edge_ledger_tree_size | cut -d. -f1),$mean,$p99,$get_ms"
    echo "$line" >>"$csv"
    progress "$line"
    h0=$h1 c0=$c1 t0=$t1
done

# The simulator was sized to the run: it ends by itself.
finish_stream $sim_pid "$WORK/simulate.out" 300
result=$RESULT counted=$COUNTED verified=$VERIFIED good=$GOOD

summary=$(python3 - "$csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
warm = rows[max(1, len(rows) // 10):] or rows
def col(name, rs=warm): return [float(r[name]) for r in rs if r[name] not in ("-", "")]
rss, fds = col("rss_kb"), col("fds")
mean_first, mean_last = col("append_mean_ms", warm[:3]), col("append_mean_ms", warm[-3:])
p99 = col("append_p99_ms")
get = col("checkpoint_get_ms")
cpu = col("cpu_percent")
growth = rss[-1] - rss[0]
ok = growth <= max(8192, 0.1 * rss[0]) and fds[-1] <= fds[0] + 5
print(f"{len(rows)} samples; RSS {rss[0]/1024:.1f} -> {rss[-1]/1024:.1f} MiB (max {max(rss)/1024:.1f}); "
      f"fds {fds[0]:.0f} -> {fds[-1]:.0f} (max {max(fds):.0f}); CPU mean {sum(cpu)/len(cpu):.1f} %; "
      f"append mean {sum(mean_first)/max(1,len(mean_first)):.3f} -> {sum(mean_last)/max(1,len(mean_last)):.3f} ms, "
      f"p99 max {max(p99) if p99 else 0:g} ms; GET /checkpoint max {max(get):.1f} ms")
sys.exit(0 if ok else 1)
EOF
) && flat=0 || flat=$?
echo "soak: ${minutes} min at ${rate}/s: $summary; $result; verify $verified (samples: $csv)"
[ $flat -eq 0 ] || say "RSS or file descriptors grew after the warm-up (see $csv)"
[ "$verified" = ok ] && [ $counted -eq 0 ] && [ $flat -eq 0 ]
