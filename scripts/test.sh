#!/usr/bin/env bash
# The test command: installs what is missing, builds warning-free, runs every test suite.
# Usage: scripts/test.sh [extra `swift test` arguments, e.g. --filter Merkle]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift build --build-tests 2>&1 | tee "$log" | grep -E "error:|Compiling|Build complete" | grep -v "^\[" ; then :; fi
if grep -q "error:" "$log"; then
    echo "test: build failed" >&2
    exit 1
fi
# Our own code must build without warnings (dependencies' warnings are theirs).
if grep -E "^$PWD/(Sources|Tests)/.*warning:" "$log" | sort -u | grep .; then
    echo "test: the build has warnings in Sources/ or Tests/ (listed above); fix them" >&2
    exit 1
fi
swift test --skip-build "$@"
