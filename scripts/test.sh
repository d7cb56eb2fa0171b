#!/usr/bin/env bash
# The test command: installs what is missing, builds warning-free, runs every test suite.
# Usage: scripts/test.sh [extra `swift test` arguments, e.g. --filter Merkle]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The root products, then the test bundle, rather than `swift build --build-tests`, which (SwiftPM
# 6.3) also builds swift-protobuf's protoc (C++ and abseil) and protoc-gen-swift, tools of its
# build plugin that nothing here uses (the Sparkplug code is generated once and committed).
build_all() { swift build && swift build --product EdgeLedgerPackageTests; }
if ! build_all 2>&1 | tee "$log" | grep -E "error:|Compiling|Build.*complete" | grep -v "^\[" ; then :; fi
if grep -q "error:" "$log"; then
    echo "test: build failed" >&2
    exit 1
fi
# Our own code must build without warnings (dependencies' warnings are theirs).
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
    echo "test: the build has warnings in Sources/ or Tests/ (listed above); fix them" >&2
    exit 1
fi
if [ $# -gt 0 ]; then
    exec swift test --skip-build "$@"
fi
# The suites run in four processes, one group of test targets each, not in one: a single process
# running every suite at once held over 1,024 descriptors (hundreds of SQLite files and loopback
# sockets), past which libmosquitto's select() cannot take a new MQTT socket, and its two
# cooperative threads were starved enough to time out HTTP exchanges. The MQTT, gateway and ingest
# suites therefore run in a process of their own. Each group prints its own closing line.
groups=(
    "EdgeLedgerCoreTests|EdgeLedgerCryptoTests|EdgeLedgerConfigTests|EdgeLedgerSystemTests|EdgeLedgerStoreTests|EdgeLedgerCLITests|EdgeLedgerPostgresTests|EdgeLedgerSparkplugTests|EdgeLedgerFleetTests"
    "EdgeLedgerHTTPTests"
    "EdgeLedgerUpstreamTests"
    "EdgeLedgerMQTTTests|EdgeLedgerGatewayTests|EdgeLedgerIngestTests"
)
# Every test target must be in a group, or its tests would never run.
for target in Tests/*/; do
    target=$(basename "$target")
    if ! printf '%s\n' "${groups[@]}" | tr '|' '\n' | grep -qx "$target"; then
        echo "test: Tests/$target is in no group of scripts/test.sh; add it to one" >&2
        exit 1
    fi
done
failed=0
for group in "${groups[@]}"; do
    echo "== swift test --filter '$group'"
    swift test --skip-build --filter "$group" || failed=1
done
exit $failed
