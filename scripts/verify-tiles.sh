#!/usr/bin/env bash
# Builds (when needed) and runs scripts/verify-tiles: Go's golang.org/x/mod/sumdb (tlog, note)
# checking a tlog-tiles log over HTTP — a gateway's API or an upstream's copy.
# Usage: scripts/verify-tiles.sh -url <log prefix> -vkey <verifier key> [-token <token>]
# Offline: Debian's golang-go (1.19) with golang-golang-x-mod-dev in GOPATH=/usr/share/gocode.
# VERIFY_TILES_BIN=path builds there instead of .build/verify-tiles.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${VERIFY_TILES_BIN:-$root/.build/verify-tiles}
command -v go >/dev/null 2>&1 || { echo "verify-tiles: go is not installed (scripts/setup.sh installs golang-go)" >&2; exit 2; }
if [ ! -x "$bin" ] || [ "$root/scripts/verify-tiles/main.go" -nt "$bin" ]; then
    mkdir -p "$(dirname "$bin")"
    (cd "$root/scripts/verify-tiles" &&
        GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="${GOCACHE:-$root/.build/go-cache}" \
            go build -o "$bin.tmp.$$" main.go) && mv "$bin.tmp.$$" "$bin"
fi
exec "$bin" "$@"
