#!/usr/bin/env bash
# Ledger store benchmark: builds edge-ledger-bench in release mode and runs it.
# Prints medians of raw SQLite C vs LedgerStore appends (single commits and 1,000-row batches,
# durability process and power), sealing 1M new entries, inclusion proofs, and verify.
# Usage: scripts/bench.sh [edge-ledger-bench options, e.g. --runs 7 --dir /var/lib/edge-ledger]
#        scripts/bench.sh --quick      # small sizes, a smoke test
# Results and the machine they were taken on: docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="${EDGE_LEDGER_BENCH_SCRATCH:-.build-bench}"
swift build -c release --scratch-path "$scratch" --product edge-ledger-bench >&2
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -srm)"
exec "$scratch/release/edge-ledger-bench" "$@"
