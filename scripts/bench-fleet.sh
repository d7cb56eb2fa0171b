#!/usr/bin/env bash
# The upstream measured at fleet size (issue 13, item 4): a private PostgreSQL cluster (fsync on),
# a simulated fleet (edge-ledger-fleet: light tasks that seal and sign real logs, serve them over
# tlog-tiles and push a checkpoint to the witness every second each) and two edge-ledger-upstream
# instances on one database. During the run: a backlog gateway is enrolled (its backlog must clear
# while the fleet keeps its lag), LATER gateways are enrolled while running (time to their first
# collection), and one instance is SIGKILLed at the midpoint (takeover time, lag after it).
# PUSH of the gateways push their logs to the upstreams' mirror instead of being pulled (issue 14,
# item 4): their lag is reported apart, both from the samples and as the gateways see it (signed →
# mirror cosignature received).
# Prints the table of docs/PERFORMANCE.md, "Fleet upstream (PostgreSQL, two instances)".
#
# Usage:  scripts/bench-fleet.sh
# Environment (defaults in brackets):
#   DURATION=S [1800]   seconds the upstreams run; the events are placed at fractions of it:
#                       backlog at 20 %, LATER gateways at 35 %, SIGKILL at 50 %
#   GATEWAYS=N [1000]   RATE=R [10] readings/s each   LATER=M [100]   BACKLOG=E [1000000] (0: none)
#   PUSH=N [200]        of the GATEWAYS, how many push (the last N); the others are pulled
#   BACKLOG_MODE=pull|push [pull]  whether the backlog gateway is pulled or pushes its backlog
#   PREPARE=1|0 [1]     the simulator makes the backlog gateway's entry bundles (pulled) or its
#                       add-entries requests (pushed) before the run, as a real gateway would on its
#                       own CPU; 0: while the backlog clears, on the 2 cores the upstreams use
#   LEASE=D ["10s"]     storage.lease: the takeover time after a SIGKILL (default 30 s is too long
#                       for the "p99 ≤ 25 s after SIGKILL" target)
#   PULL=D ["10s"]      gateways' pull_interval
#   CONNECTIONS=N [16]  storage.connections of each instance (the default is 8; with 500 gateways
#                       an instance, 100 of them pushing, the backlog's transactions queued behind
#                       the fleet's: docs/PERFORMANCE.md)
#   WITNESS=0           the fleet pushes no checkpoints (to measure collection alone)
#   PG_SHARED_BUFFERS=S [1GB]  PG_MAX_WAL=S [4GB]  the cluster's shared_buffers and max_wal_size
#                       (PostgreSQL's defaults, 128MB and 1GB, are sized for a laptop: at 10,000
#                       entries/s the backends evict dirty buffers themselves and a checkpoint
#                       starts every few minutes); fsync and synchronous_commit stay on
#   DIR=DIR [/tmp]      where the cluster and the work files go (kept with KEEP=1)
#   BIN=DIR [.build/release]  NO_BUILD=1: use BIN as is
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-fleet: $*" >&2; }
die() {
    say "$*"
    exit 1
}
# shellcheck source=lib/processes.sh
. scripts/lib/processes.sh
# shellcheck source=lib/postgres.sh
. scripts/lib/postgres.sh

DURATION=${DURATION:-1800}
GATEWAYS=${GATEWAYS:-1000}
RATE=${RATE:-10}
LATER=${LATER:-100}
BACKLOG=${BACKLOG:-1000000}
LEASE=${LEASE:-10s}
PULL=${PULL:-10s}
CONNECTIONS=${CONNECTIONS:-16}
WITNESS=${WITNESS:-1}
PUSH=${PUSH:-200}
BACKLOG_MODE=${BACKLOG_MODE:-pull}
PREPARE=${PREPARE:-1}
case $BACKLOG_MODE in pull | push) ;; *) die "BACKLOG_MODE must be pull or push" ;; esac
[ "$PUSH" -le "$GATEWAYS" ] || die "PUSH must not exceed GATEWAYS"
BIN=${BIN:-.build/release}
[ "$DURATION" -ge 60 ] || die "DURATION must be at least 60 s"

if [ -z "${NO_BUILD:-}" ]; then
    for product in edge-ledger edge-ledger-upstream edge-ledger-fleet; do
        swift build -c release --product "$product" >&2
    done
fi
for b in edge-ledger edge-ledger-upstream edge-ledger-fleet; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing (build with swift build -c release)"
done
ulimit -n 16384 2>/dev/null || ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d "${DIR:-/tmp}/edge-ledger-bench-fleet-XXXXXX")
chmod 755 "$work"
sim_pid="" a_pid="" b_pid="" sampler_pid=""
cleanup() {
    [ -z "$sampler_pid" ] || kill "$sampler_pid" 2>/dev/null || true
    stop_process "$a_pid" 30 "upstream a"
    stop_process "$b_pid" 30 "upstream b"
    stop_process "$sim_pid" 10 "edge-ledger-fleet"
    pg_stop 2>/dev/null || true
    if [ -n "${KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --- PostgreSQL and the store ----------------------------------------------------------------
PG_OPTIONS=(-c "shared_buffers=${PG_SHARED_BUFFERS:-1GB}" -c "max_wal_size=${PG_MAX_WAL:-4GB}")
pg_start "$work/pg" on
url=$(pg_createdb upstream)
q() { pg_psql "$url" "$@"; }
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export FLEET_TOKEN=$token
"$BIN/edge-ledger" keygen --alg ed25519 --name witness.example/bench --out "$work/keys" >/dev/null 2>&1 ||
    die "edge-ledger keygen failed"
"$BIN/edge-ledger" keygen --alg ed25519 --name mirror.example/bench --out "$work/mirror-keys" >/dev/null 2>&1 ||
    die "edge-ledger keygen failed"
sim_port=$(free_port)
config() { # config NAME PORT
    cat <<TOML
[witness]
name = "witness.example/bench"
key_file = "$work/keys/ed25519.key"

[mirror]
name = "mirror.example/bench"
key_file = "$work/mirror-keys/ed25519.key"

[http]
listen = "127.0.0.1:$2"
allow_anonymous = false
max_connections = 2048
max_connections_per_client = 1024

[[http.tokens]]
name = "fleet"
token_env = "FLEET_TOKEN"

[storage]
url = "$url"
connections = $CONNECTIONS
instance_id = "$1"
lease = "$LEASE"
registry_interval = "2s"

[log]
level = "warning"
TOML
}
a_port=$(free_port)
b_port=$(free_port)
config upstream-a "$a_port" >"$work/a.toml"
config upstream-b "$b_port" >"$work/b.toml"
"$BIN/edge-ledger-upstream" migrate --config "$work/a.toml" >"$work/migrate.log" 2>&1 ||
    die "migrate failed: $(cat "$work/migrate.log")"

# --- The fleet -----------------------------------------------------------------------------------
mkdir -p "$work/enroll"
later_at=$((DURATION * 35 / 100))
backlog_at=$((DURATION * 20 / 100))
kill_at=$((DURATION / 2))
witnesses=()
[ "$WITNESS" = 0 ] || witnesses=(--witness "http://127.0.0.1:$a_port" --witness "http://127.0.0.1:$b_port")
mirrors=()
if [ "$PUSH" -gt 0 ] || [ "$BACKLOG_MODE" = push ]; then
    mirrors=(--push "$PUSH" --mirror "http://127.0.0.1:$a_port/mirror" --mirror "http://127.0.0.1:$b_port/mirror"
        --ack-log "$work/acks.csv")
    [ "$BACKLOG_MODE" = pull ] || mirrors+=(--push-backlog)
fi
[ "$PREPARE" = 0 ] || [ "$BACKLOG" = 0 ] || mirrors+=(--prepare-backlog)
"$BIN/edge-ledger-fleet" --gateways "$GATEWAYS" --rate "$RATE" --port "$sim_port" "${witnesses[@]}" --token "$token" \
    "${mirrors[@]}" --enroll-dir "$work/enroll" --backlog "$BACKLOG" --add-later "$LATER" --add-after "$later_at" \
    --signing-log "$work/signed.csv" >"$work/fleet.log" 2>&1 &
sim_pid=$!
deadline=$((SECONDS + 120))
until [ -s "$work/enroll/ready" ]; do
    kill -0 "$sim_pid" 2>/dev/null || die "edge-ledger-fleet exited: $(tail -5 "$work/fleet.log")"
    [ $SECONDS -lt $deadline ] || die "edge-ledger-fleet did not start"
    sleep 0.2
done
sim_start=$(date +%s.%N) # its --add-after counts from about here (key generation and backlog took place before)
enroll() { # enroll FILE [MODE]
    [ -s "$1" ] || return 0
    "$BIN/edge-ledger-upstream" gateways add --config "$work/a.toml" --from "$1" --mode "${2:-pull}" \
        >>"$work/enroll.log" 2>&1 || die "enrolling $1 failed: $(tail -3 "$work/enroll.log")"
}
t=$(date +%s.%N)
enroll "$work/enroll/gateways.toml"
enroll "$work/enroll/push.toml" push
say "enrolled $GATEWAYS gateways ($PUSH pushing) in $(echo "$(date +%s.%N) - $t" | bc) s"

# --- Two instances -------------------------------------------------------------------------------
"$BIN/edge-ledger-upstream" run --config "$work/a.toml" >"$work/a.log" 2>&1 &
a_pid=$!
"$BIN/edge-ledger-upstream" run --config "$work/b.toml" >"$work/b.log" 2>&1 &
b_pid=$!
wait_listening "$a_port" 60 || die "upstream a did not start: $(tail -5 "$work/a.log")"
wait_listening "$b_port" 60 || die "upstream b did not start: $(tail -5 "$work/b.log")"
t0=$(date +%s.%N)
say "work $work; upstreams a=$a_pid b=$b_pid, fleet $sim_pid, postgres $PG_PID; running $DURATION s"

# Counters: CPU ticks of each process (postgres: the postmaster, its children and its reaped
# children), the database's commits and WAL syncs, the disk's flushes.
dev=$(basename "$(df --output=source "$work" | tail -1)")
pg_ticks() {
    local pm total=0 p
    pm=$(pg_postmaster)
    total=$(sed 's/^.*) //' "/proc/$pm/stat" | awk '{ print $12 + $13 + $14 + $15 }')
    for p in $(pgrep -P "$pm"); do total=$((total + $(cpu_ticks "$p"))); done
    echo "$total"
}
counters() { # one CSV line: time,a,b,sim,pg,commits,wal_sync,wal_write,flushes
    local db wal
    db=$(q "SELECT xact_commit FROM pg_stat_database WHERE datname = 'upstream'")
    wal=$(q "SELECT wal_sync || ',' || wal_write FROM pg_stat_wal")
    echo "$(date +%s.%N),$(cpu_ticks "${a_pid:-0}"),$(cpu_ticks "${b_pid:-0}"),$(cpu_ticks "$sim_pid"),$(pg_ticks),$db,$wal,$(
        awk -v d="$dev" '$3 == d { print $19 }' /proc/diskstats
    )"
}
# Twice a second: each gateway's verified and staged sizes and lease holder (the lag is measured
# from these samples, not from the upstream's own verified_at).
(
    while true; do
        q "COPY (SELECT extract(epoch FROM now()), id, verified_size, coalesce(lease_holder, ''),
            lease_expires_at, staged_size FROM gateways) TO STDOUT WITH CSV" >>"$work/samples.csv" 2>/dev/null || true
        sleep 0.5
    done
) &
sampler_pid=$!
counters >"$work/counters.csv"

at() { # sleep until $1 seconds after t0
    local wait
    wait=$(echo "$t0 + $1 - $(date +%s.%N)" | bc)
    if [ "$(echo "$wait > 0" | bc)" = 1 ]; then sleep "$wait"; fi
}
status() { say "t=$1 s: $(tail -1 "$work/fleet.log" | sed 's/^edge-ledger-fleet: //')"; }

at "$backlog_at"
backlog_t=""
if [ "$BACKLOG" -gt 0 ]; then
    counters >>"$work/counters.csv"
    backlog_t=$(date +%s.%N)
    enroll "$work/enroll/backlog.toml" "$BACKLOG_MODE"
    say "t=$backlog_at s: enrolled the backlog gateway ($BACKLOG entries, $BACKLOG_MODE)"
fi
# The later gateways appear in the fleet $later_at s after it started; enroll them then.
wait=$(echo "$sim_start + $later_at - $(date +%s.%N)" | bc)
[ "$(echo "$wait > 0" | bc)" = 0 ] || sleep "$wait"
later_t=$(date +%s.%N)
enroll "$work/enroll/later.toml"
status "$later_at"
say "enrolled $LATER more gateways"

at "$kill_at"
status "$kill_at"
counters >>"$work/counters.csv"
kill_t=$(date +%s.%N)
kill -KILL "$b_pid"
wait "$b_pid" 2>/dev/null || true
b_pid=""
say "t=$kill_at s: SIGKILLed upstream b"

at "$DURATION"
status "$DURATION"
counters >>"$work/counters.csv"
end_t=$(date +%s.%N)
curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$a_port/metrics" >"$work/a.metrics" || true
kill "$sampler_pid" 2>/dev/null || true
wait "$sampler_pid" 2>/dev/null || true
sampler_pid=""
stop_process "$sim_pid" 10 "edge-ledger-fleet"
sim_pid=""
stop_process "$a_pid" 60 "upstream a"
a_pid=""

# --- Analysis ------------------------------------------------------------------------------------
db_bytes=$(q "SELECT pg_database_size('upstream')")
entries_bytes=$(q "SELECT pg_total_relation_size('entries') + pg_total_relation_size('bundles')")
q "CREATE TABLE bench_signed(origin TEXT, size BIGINT, signed_at BIGINT);
   CREATE TABLE bench_samples(t DOUBLE PRECISION, gateway BIGINT, verified BIGINT, holder TEXT, expires BIGINT,
                               staged BIGINT)"
q "\\copy bench_signed FROM '$work/signed.csv' WITH CSV"
q "\\copy bench_samples FROM '$work/samples.csv' WITH CSV"
ns() { echo "$1 * 1000000000 / 1" | bc; }
T0=$(ns "$t0") KILL=$(ns "$kill_t") END=$(ns "$end_t") LATER_T=$(ns "$later_t")
BACKLOG_T=$(ns "${backlog_t:-0}")
backlog_origin="fleet.example/gw-$((GATEWAYS + LATER))"
# Lag of a signed checkpoint: the first sample in which its gateway's verified size reached its size.
q "CREATE INDEX ON bench_samples(gateway, verified, t);
   CREATE TABLE bench_lag AS
   SELECT s.origin, s.size, s.signed_at, v.t - s.signed_at / 1e9 AS lag,
          substring(s.origin FROM 'gw-([0-9]+)$')::int BETWEEN $((GATEWAYS - PUSH)) AND $((GATEWAYS - 1)) AS pushed
   FROM bench_signed s JOIN gateways g ON g.origin = s.origin
   LEFT JOIN LATERAL (SELECT t FROM bench_samples b WHERE b.gateway = g.id AND b.verified >= s.size
                      ORDER BY b.verified, b.t LIMIT 1) v ON true
   WHERE s.origin <> '$backlog_origin'"
lag() { # lag FROM_NS TO_NS [CONDITION [TABLE]]: p50 p99 max count unverified (pulled gateways by default)
    local where="signed_at BETWEEN $1 AND $2 AND ${3:-NOT pushed}" table=${4:-bench_lag}
    q "SELECT coalesce(round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 2) || ' ' ||
              round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 2) || ' ' ||
              round(max(lag)::numeric, 2), '- - -') || ' ' || count(*) || ' ' ||
              (SELECT count(*) FROM $table WHERE lag IS NULL AND $where)
       FROM $table WHERE lag IS NOT NULL AND $where"
}
# Pushing gateways, as they see it: signed → the first mirror cosignature of at least that size.
q "CREATE TABLE bench_acks(origin TEXT, size BIGINT, acked_at BIGINT)"
[ ! -s "$work/acks.csv" ] || q "\\copy bench_acks FROM '$work/acks.csv' WITH CSV"
q "CREATE INDEX ON bench_acks(origin, size);
   CREATE TABLE bench_ack_lag AS
   SELECT s.origin, s.size, s.signed_at, (a.acked_at - s.signed_at) / 1e9 AS lag, true AS pushed
   FROM bench_signed s LEFT JOIN LATERAL (SELECT acked_at FROM bench_acks a WHERE a.origin = s.origin
                                          AND a.size >= s.size ORDER BY a.size LIMIT 1) a ON true
   WHERE s.origin IN (SELECT origin FROM bench_lag WHERE pushed)"

warmup=$((DURATION / 10 > 60 ? 60 : DURATION / 10)) # the first pulls of every gateway at once
warm=$((T0 + warmup * 1000000000))
tail_end=$((END - 20000000000))
read -r steady50 steady99 steadymax steadyn _ <<<"$(lag "$warm" "$((KILL - 10000000000))")"
# After the kill: every checkpoint whose verification it could delay (signed from one pull interval
# before it, as the killed instance's last pull may have just missed it, to 60 s after).
pull_s=${PULL%s}
read -r after50 after99 aftermax aftern _ <<<"$(lag "$((KILL - pull_s * 1000000000))" "$((KILL + 60000000000))")"
read -r all50 all99 allmax alln allmiss <<<"$(lag "$warm" "$tail_end")"
read -r push50 push99 pushmax pushn _ <<<"$(lag "$warm" "$((KILL - 10000000000))" pushed)"
read -r pushafter50 pushafter99 pushaftermax pushaftern _ <<<"$(lag "$((KILL - 2000000000))" "$((KILL + 60000000000))" pushed)"
read -r ack50 ack99 ackmax ackn ackmiss <<<"$(lag "$warm" "$tail_end" pushed bench_ack_lag)"
read -r pushall50 pushall99 pushallmax pushalln pushallmiss <<<"$(lag "$warm" "$tail_end" pushed)"

first=$(awk -F, -v t="$(echo "$t0 + $warmup" | bc)" '$1 >= t { s[$1] += $3; n[$1]++ } END { for (k in s) print k, s[k] }' \
    "$work/samples.csv" | sort -n | sed -n 1p)
last=$(awk -F, '{ s[$1] += $3 } END { for (k in s) print k, s[k] }' "$work/samples.csv" | sort -n | tail -1)
rate_verified=$(echo "${first% *} ${first#* } ${last% *} ${last#* }" | awk '{ printf "%.0f", ($4 - $2) / ($3 - $1) }')
backlog_id=$(q "SELECT coalesce((SELECT id FROM gateways WHERE origin = '$backlog_origin'), -1)")
fleet_rate=$(awk -F, -v t="$(echo "$t0 + $warmup" | bc)" -v b="$backlog_id" '$1 >= t && $2 != b { s[$1] += $3 }
    END { for (k in s) print k, s[k] }' "$work/samples.csv" | sort -n | sed -n '1p;$p' | tr '\n' ' ' |
    awk '{ printf "%.0f", ($4 - $2) / ($3 - $1) }')

# Backlog: from its enrollment to a verified size at least BACKLOG.
backlog_clear="-" backlog_rate="-" backlog_lag="-"
if [ "$BACKLOG" -gt 0 ]; then
    cleared=$(q "SELECT min(t) FROM bench_samples WHERE gateway = $backlog_id AND verified >= $BACKLOG")
    if [ -n "$cleared" ]; then
        backlog_clear=$(echo "$cleared - $backlog_t" | bc | xargs printf '%.1f')
        # The rate counts from the last sample without staged entries (before it, up to
        # registry_interval passed until an instance took the new gateway on), or from the
        # enrollment when the first sample of the gateway had entries staged already.
        started=$(q "SELECT max(t) FROM bench_samples WHERE gateway = $backlog_id AND staged = 0")
        started=${started:-$backlog_t}
        backlog_collect=$(echo "$cleared - $started" | bc | xargs printf '%.1f')
        backlog_rate=$(echo "$BACKLOG / $backlog_collect" | bc)
        read -r b50 b99 _ <<<"$(lag "$BACKLOG_T" "$(ns "$cleared")")"
        backlog_lag="$b50 / $b99"
    fi
fi
# Later gateways: first verified checkpoint after their enrollment.
read -r later50 latermax latern <<<"$(q "SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d)::numeric, 2) || ' ' ||
        round(max(d)::numeric, 2) || ' ' || count(*) FROM (
        SELECT min(s.t) - $LATER_T / 1e9 AS d FROM gateways g JOIN bench_samples s ON s.gateway = g.id
        WHERE substring(g.origin FROM 'gw-([0-9]+)$')::int BETWEEN $GATEWAYS AND $((GATEWAYS + LATER - 1))
            AND s.verified > 0
        GROUP BY g.id) x")"
# Takeover: b's gateways (just before the kill) held by a and verified further.
kill_s=$(echo "$kill_t" | awk '{ printf "%.3f", $1 }')
read -r take_lease take_verified take_n <<<"$(q "WITH b AS (
        SELECT DISTINCT ON (gateway) gateway, verified FROM bench_samples WHERE t < $kill_s
        ORDER BY gateway, t DESC), held AS (SELECT gateway, verified FROM b WHERE gateway IN (
            SELECT gateway FROM bench_samples WHERE t < $kill_s AND t > $kill_s - 3 AND holder = 'upstream-b'))
    SELECT round(max(l)::numeric, 1) || ' ' || round(max(v)::numeric, 1) || ' ' || count(*) FROM (
        SELECT (SELECT min(t) FROM bench_samples s WHERE s.gateway = h.gateway AND s.t > $kill_s
                AND s.holder = 'upstream-a') - $kill_s AS l,
               (SELECT min(t) FROM bench_samples s WHERE s.gateway = h.gateway AND s.t > $kill_s
                AND s.holder = 'upstream-a' AND s.verified > h.verified) - $kill_s AS v
        FROM held h) x")"
# Checks.
rollbacks=$(q "SELECT count(*) FROM (SELECT verified < lag(verified) OVER (PARTITION BY gateway ORDER BY t) AS back
               FROM bench_samples) x WHERE back")
read -r gaps dups misindexed short <<<"$(q "WITH e AS (SELECT gateway, count(*) AS n, max(idx) + 1 AS top FROM collected_entries
        GROUP BY gateway)
    SELECT (SELECT count(*) FROM gateways g LEFT JOIN e ON e.gateway = g.id WHERE coalesce(e.n, 0) <> coalesce(e.top, 0)
            OR coalesce(e.top, 0) <> g.staged_size) || ' ' ||
           (SELECT count(*) FROM (SELECT 1 FROM collected_entries GROUP BY gateway, substring(data FROM 3 FOR 8)
                                  HAVING count(*) > 1) d) || ' ' ||
           (SELECT count(*) FROM collected_entries WHERE substring(data FROM 3 FOR 8) <> int8send(idx)) || ' ' ||
           (SELECT count(*) FROM gateways WHERE staged_size < verified_size)")"

# Counters: whole run (t0 → end), and the per-process split.
read -r c0 c1 <<<"$(sed -n '1p;$p' "$work/counters.csv" | tr '\n' ' ')"
kill_line=$(grep -c . "$work/counters.csv")
ckill=$(sed -n "$((kill_line - 1))p" "$work/counters.csv")
secs=$(echo "$end_t - $t0" | bc)
IFS=, read -r _ a0 b0 s0 p0 x0 w0 _ f0 <<<"$c0"
IFS=, read -r _ a1 _ s1 p1 x1 w1 _ f1 <<<"$c1"
IFS=, read -r _ _ bk _ _ _ _ _ _ <<<"$ckill"
entries_run=$(q "SELECT sum(verified_size) FROM gateways") # everything was verified during the run
up_ticks=$((a1 - a0 + bk - b0))
cpu_per_entry=$(echo "scale=2; $up_ticks * 1000000 / $CLK_TCK / $entries_run" | bc)
share() { echo "scale=0; $1 * 100 / $CLK_TCK / $secs" | bc; }
commits=$(echo "($x1 - $x0) / $secs" | bc)
syncs=$(echo "($w1 - $w0) / $secs" | bc)
flushes=$(echo "(${f1:-0} - ${f0:-0}) / $secs" | bc)
witness=$(awk '/^edge_ledger_witness_requests_total/ { split($0, p, "outcome=\""); split(p[2], o, "\"");
    n[o[1]] += $NF } END { for (k in n) printf "%s=%d ", k, n[k] }' "$work/a.metrics" 2>/dev/null || true)
mirror=$(awk '/^edge_ledger_mirror_requests_total/ { split($0, p, "endpoint=\""); split(p[2], e, "\"");
    split($0, q, "outcome=\""); split(q[2], o, "\""); n[e[1] ":" o[1]] += $NF } END { for (k in n) printf "%s=%d ", k, n[k] }' \
    "$work/a.metrics" 2>/dev/null || true)
failures=$(awk '/^edge_ledger_collector_pull_failures_total/ { split($0, p, "reason=\""); split(p[2], o, "\"");
    n[o[1]] += $NF } END { for (k in n) printf "%s=%d ", k, n[k] }' "$work/a.metrics" 2>/dev/null || true)

mark() { if [ "$(echo "$1" | bc)" = 1 ]; then echo "✓"; else echo "✗"; fi; }
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ { print $2 }') GiB," \
    "$(uname -srm); PostgreSQL $(q 'SHOW server_version'), fsync=$(q 'SHOW fsync'), shared_buffers=$(q 'SHOW shared_buffers')," \
    "max_wal_size=$(q 'SHOW max_wal_size'), data on /dev/$dev"
echo "run: DURATION=$DURATION GATEWAYS=$GATEWAYS PUSH=$PUSH RATE=$RATE LATER=$LATER BACKLOG=$BACKLOG" \
    "BACKLOG_MODE=$BACKLOG_MODE PREPARE=$PREPARE LEASE=$LEASE PULL=$PULL CONNECTIONS=$CONNECTIONS; backlog at ${backlog_at}s, +$LATER at ${later_at}s, SIGKILL at ${kill_at}s"
echo
printf '%-58s %s\n' "measure" "value"
printf '%-58s %s\n' "----------------------------------------------------------" "------------------------------"
printf '%-58s %s\n' "gateways (from the start + enrolled while running)" "$GATEWAYS + $LATER (+1 backlog)"
printf '%-58s %s\n' "aggregate verified entries/s (t0+${warmup} s → end)" "$rate_verified; without the backlog gateway $fleet_rate (offered: $((GATEWAYS * RATE)) → $(((GATEWAYS + LATER) * RATE)))"
printf '%-58s %s\n' "pulled: lag signed → verified, p50 / p99 / max (steady)" "$steady50 / $steady99 / $steadymax s $(mark "$steady99 <= 12") (n=$steadyn)"
printf '%-58s %s\n' "pulled: lag p50 / p99 / max, whole run after warm-up" "$all50 / $all99 / $allmax s (n=$alln, unverified $allmiss)"
printf '%-58s %s\n' "pulled: lag, signed from $PULL before to 60 s after SIGKILL" "$after50 / $after99 / $aftermax s $(mark "$after99 <= 25") (n=$aftern)"
if [ "$PUSH" -gt 0 ]; then
    printf '%-58s %s\n' "pushed: lag signed → verified (samples), steady" "$push50 / $push99 / $pushmax s $(mark "${push99/-/99} <= 2") (n=$pushn)"
    printf '%-58s %s\n' "pushed: lag signed → cosignature received, whole run" "$ack50 / $ack99 / $ackmax s $(mark "${ack99/-/99} <= 2") (n=$ackn, never $ackmiss)"
    printf '%-58s %s\n' "pushed: lag (samples), whole run after warm-up" "$pushall50 / $pushall99 / $pushallmax s (n=$pushalln, unverified $pushallmiss)"
    printf '%-58s %s\n' "pushed: lag (samples), signed 2 s before to 60 s after SIGKILL" "$pushafter50 / $pushafter99 / $pushaftermax s (n=$pushaftern)"
fi
printf '%-58s %s\n' "takeover: b's $take_n gateways leased by a / verified again" "$take_lease / $take_verified s"
printf '%-58s %s\n' "$LATER gateways enrolled while running: first collected" "p50 $later50 s, max $latermax s $(mark "${latermax:-99} <= 15") (n=$latern)"
backlog_mark=""
[ "$backlog_rate" = - ] || backlog_mark=$(mark "$backlog_rate >= 100000")
printf '%-58s %s\n' "backlog of $BACKLOG entries: cleared after enrollment" "$backlog_clear s"
printf '%-58s %s\n' "backlog: collection time (first staged → verified) / rate" "${backlog_collect:--} s / $backlog_rate entries/s $backlog_mark"
printf '%-58s %s\n' "fleet lag p50 / p99 while the backlog cleared" "$backlog_lag s"
printf '%-58s %s\n' "upstream CPU per verified entry (a + b, utime+stime)" "$cpu_per_entry µs"
printf '%-58s %s\n' "CPU: upstream a / b / fleet simulator / postgres (% core)" "$(share $((a1 - a0))) / $(share $((bk - b0))) (until killed) / $(share $((s1 - s0))) / $(share $((p1 - p0)))"
printf '%-58s %s\n' "database bytes per entry (whole database / entries and bundles)" "$((db_bytes / entries_run)) / $((entries_bytes / entries_run)) B ($((db_bytes >> 20)) MiB, $entries_run entries)"
printf '%-58s %s\n' "commits/s (pg_stat_database.xact_commit)" "$commits"
printf '%-58s %s\n' "WAL fsyncs/s (pg_stat_wal.wal_sync) / disk flushes/s" "$syncs / $flushes"
printf '%-58s %s\n' "witness requests at a (outcome=count)" "${witness:--}"
printf '%-58s %s\n' "pull failures at a (reason=count)" "${failures:--}"
printf '%-58s %s\n' "mirror requests at a (endpoint:outcome=count)" "${mirror:--}"
printf '%-58s %s\n' "checks: verified size rolled back (samples)" "$rollbacks $(mark "$rollbacks == 0")"
printf '%-58s %s\n' "checks: gateways with gaps / count ≠ staged size" "$gaps $(mark "$gaps == 0")"
printf '%-58s %s\n' "checks: duplicate entries / entry index ≠ row index" "$dups / $misindexed $(mark "$dups + $misindexed == 0")"
printf '%-58s %s\n' "checks: staged < verified / signed but never verified" "$short / $((allmiss + ${pushallmiss:-0})) $(mark "$short == 0")"
printf '%-58s %s\n' "fleet simulator, last status" "$(tail -1 "$work/fleet.log" | sed 's/^edge-ledger-fleet: //')"
