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
    # shellcheck source=lib/postgres.sh
    . scripts/lib/postgres.sh
    dir=$(mktemp -d "${DIR:-/tmp}/edge-ledger-bench-pg-XXXXXX")
    cleanup() {
        pg_stop
        rm -rf "$dir"
    }
    trap cleanup EXIT
    pg_start "$dir" on
    url=$(pg_createdb bench)
    port=$PG_PORT
    echo "cluster: $dir/data on $(df --output=source "$dir" | tail -1), fsync=on"
fi
"$scratch/release/edge-ledger-bench" postgres --url "$url" "$@"
