#!/usr/bin/env bash
# PostgreSQL client benchmark: libpq through EdgeLedgerPostgres against a private PostgreSQL
# cluster with fsync=on (data directory under DIR, default /tmp: use the disk to measure).
# Prints medians of single-row commits/s and of rows/s inserted with
# `INSERT … SELECT … FROM unnest($2::bytea[]) WITH ORDINALITY` in 4096- and 256-row transactions
# (and a multi-row INSERT … VALUES for comparison). Results: docs/PERFORMANCE.md,
# "PostgreSQL client: libpq".
#
# Usage:  scripts/bench-postgres.sh [edge-ledger-bench postgres options, e.g. --runs 5 --rows 102400]
# Environment:
#   POSTGRES_URL=URL   use this database instead of starting a cluster (its bench_entries table
#                      is dropped and created)
#   DIR=DIR            where the private cluster's data directory goes (default /tmp)
#   EDGE_LEDGER_BENCH_SCRATCH=DIR   build directory (default .build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-postgres: $*" >&2; }
# shellcheck source=lib/processes.sh
. scripts/lib/processes.sh

scratch="${EDGE_LEDGER_BENCH_SCRATCH:-.build-bench}"
swift build -c release --scratch-path "$scratch" --product edge-ledger-bench >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -srm)"

url=${POSTGRES_URL:-}
if [ -z "$url" ]; then
    bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1)
    [ -n "$bin" ] || bin=$(dirname "$(command -v initdb 2>/dev/null || echo /missing/initdb)")
    [ -x "$bin/initdb" ] || {
        say "PostgreSQL is not installed (no initdb); run scripts/setup.sh"
        exit 1
    }
    dir=$(mktemp -d "${DIR:-/tmp}/edge-ledger-bench-pg-XXXXXX")
    as_owner=()
    if [ "$(id -u)" -eq 0 ]; then # initdb and postgres refuse root
        chown postgres: "$dir"
        as_owner=(runuser -u postgres --)
    fi
    server=""
    cleanup() {
        if [ -f "$dir/data/postmaster.pid" ]; then
            kill -INT "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
        fi
        [ -z "$server" ] || stop_process "$server" 30 postgres
        rm -rf "$dir"
    }
    trap cleanup EXIT
    (cd / && "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U edgeledger --auth=trust -E UTF8 --no-locale) \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    port=$(free_port)
    (cd / && exec "${as_owner[@]}" "$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" \
        -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200 -c shared_buffers=64MB) \
        >"$dir/postgres.log" 2>&1 &
    server=$!
    for _ in $(seq 300); do
        "$bin/psql" -X -q -d "postgres://edgeledger@127.0.0.1:$port/postgres" -c 'select 1' >/dev/null 2>&1 && break
        sleep 0.1
    done
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -d "postgres://edgeledger@127.0.0.1:$port/postgres" \
        -c 'CREATE DATABASE bench' || {
        tail -20 "$dir/postgres.log" >&2
        exit 1
    }
    url="postgres://edgeledger@127.0.0.1:$port/bench"
    echo "cluster: $dir/data on $(df --output=source "$dir" | tail -1), fsync=on"
fi
"$scratch/release/edge-ledger-bench" postgres --url "$url" "$@"
