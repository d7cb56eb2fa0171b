#!/usr/bin/env bash
# Serving a collected log (issue 14, item 3/4): tile and entry-bundle reads/s from the upstream
# directly (first reads build the files, later ones read them) and through nginx as a caching
# proxy in front (Cache-Control makes the second read a proxy HIT). Prints the figures of
# docs/PERFORMANCE.md, "Serving collected logs".
#
# Usage:  scripts/bench-serve.sh
# Environment (defaults in brackets):
#   ENTRIES=N [262144]  entries of the one collected log (1024 bundles, 1024 level-0 tiles)
#   SECONDS_PER=S [10]  seconds of each load run       CONNS=N [32] concurrent connections
#   BIN=DIR [.build/release]  NO_BUILD=1: use BIN as is (e.g. BIN=.build/debug NO_BUILD=1)
#   NGINX=0             skip the nginx runs (nginx from Debian: apt-get install nginx-light)
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "bench-serve: $*" >&2; }
die() {
    say "$*"
    exit 1
}
# shellcheck source=lib/processes.sh
. scripts/lib/processes.sh

ENTRIES=${ENTRIES:-262144}
PER=${SECONDS_PER:-10}
CONNS=${CONNS:-32}
BIN=${BIN:-.build/release}
if [ -z "${NO_BUILD:-}" ]; then
    for product in edge-ledger edge-ledger-upstream edge-ledger-fleet; do
        swift build -c release --product "$product" >&2
    done
fi
for b in edge-ledger edge-ledger-upstream edge-ledger-fleet; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing (build with swift build -c release)"
done
command -v go >/dev/null || die "go is missing (scripts/setup.sh installs golang-go)"

work=$(mktemp -d "${DIR:-/tmp}/edge-ledger-bench-serve-XXXXXX")
chmod 755 "$work"
sim_pid="" up_pid="" nginx_pid=""
cleanup() {
    [ -z "$nginx_pid" ] || kill "$nginx_pid" 2>/dev/null || true
    stop_process "$up_pid" 30 "upstream"
    stop_process "$sim_pid" 10 "edge-ledger-fleet"
    if [ -n "${KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
(cd scripts/bench && GO111MODULE=off GOCACHE="$work/go-cache" go build -o "$work/serve-load" serve-load.go) ||
    die "cannot build scripts/bench/serve-load.go"

# --- One gateway with a backlog, collected into an SQLite upstream -------------------------------
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export FLEET_TOKEN=$token
"$BIN/edge-ledger" keygen --alg ed25519 --name witness.example/bench --out "$work/keys" >/dev/null 2>&1 ||
    die "edge-ledger keygen failed"
sim_port=$(free_port)
up_port=$(free_port)
mkdir -p "$work/enroll"
"$BIN/edge-ledger-fleet" --gateways 0 --rate 1 --backlog "$ENTRIES" --port "$sim_port" --token "$token" \
    --enroll-dir "$work/enroll" >"$work/fleet.log" 2>&1 &
sim_pid=$!
deadline=$((SECONDS + 300))
until [ -s "$work/enroll/ready" ]; do
    kill -0 "$sim_pid" 2>/dev/null || die "edge-ledger-fleet exited: $(tail -5 "$work/fleet.log")"
    [ $SECONDS -lt $deadline ] || die "edge-ledger-fleet did not start"
    sleep 0.2
done
cat >"$work/upstream.toml" <<TOML
[witness]
name = "witness.example/bench"
key_file = "$work/keys/ed25519.key"

[http]
listen = "127.0.0.1:$up_port"
allow_anonymous_read = true
max_connections = 1024
max_connections_per_client = 512

[[http.tokens]]
name = "fleet"
token_env = "FLEET_TOKEN"

[storage]
path = "$work/upstream.db"
tiles_dir = "$work/tiles"

[log]
level = "warning"
TOML
"$BIN/edge-ledger-upstream" gateways add --config "$work/upstream.toml" --from "$work/enroll/backlog.toml" \
    >"$work/enroll.log" 2>&1 || die "enrolling failed: $(tail -3 "$work/enroll.log")"
origin=$(sed -n 's/^origin = "\(.*\)"$/\1/p' "$work/enroll/backlog.toml" | head -1)
hash=$(printf '%s' "$origin" | sha256sum | cut -d' ' -f1)
"$BIN/edge-ledger-upstream" run --config "$work/upstream.toml" >"$work/upstream.log" 2>&1 &
up_pid=$!
wait_listening "$up_port" 60 || die "the upstream did not start: $(tail -5 "$work/upstream.log")"
base="http://127.0.0.1:$up_port/logs/$hash"
t=$SECONDS
until size=$(curl -sf "$base/checkpoint" | sed -n 2p) && [ -n "$size" ] && [ "$size" -ge "$ENTRIES" ]; do
    kill -0 "$up_pid" 2>/dev/null || die "the upstream exited: $(tail -5 "$work/upstream.log")"
    [ $((SECONDS - t)) -lt 600 ] || die "not collected within 600 s"
    sleep 0.5
done
say "collected $size entries of $origin in $((SECONDS - t)) s; serving $base"

full=$((ENTRIES / 256))
tile_index() { # sets $idx to the tlog-tiles <N> of $1 (x001/234 for 1234)
    local n=$1 g out=""
    printf -v g '%03d' $((n % 1000))
    out=$g
    n=$((n / 1000))
    while [ "$n" -gt 0 ]; do
        printf -v g 'x%03d' $((n % 1000))
        out="$g/$out"
        n=$((n / 1000))
    done
    idx=$out
}
: >"$work/tiles.txt"
: >"$work/bundles.txt"
for ((n = 0; n < full; n++)); do
    tile_index "$n"
    echo "/tile/0/$idx" >>"$work/tiles.txt"
    echo "/tile/entries/$idx" >>"$work/bundles.txt"
done
urls() { # urls BASE KIND: the full objects' URLs under BASE
    sed "s#^#$1#" "$work/$2.txt"
}
load() { # load LABEL FILE [serve-load options]
    local label=$1 file=$2
    shift 2
    printf '%-44s %s\n' "$label" "$("$work/serve-load" -urls "$file" "$@")"
}
urls "$base" tiles >"$work/u-tiles.txt"
urls "$base" bundles >"$work/u-bundles.txt"
bundle_bytes=$(curl -sf "$base/tile/entries/000" | wc -c)
echo
echo "one log of $size entries; $full full tiles and bundles (a bundle is $bundle_bytes bytes); $CONNS connections, $PER s each"
echo "== the upstream directly"
load "level-0 tiles, first read (build + file write)" "$work/u-tiles.txt" -once -c "$CONNS"
load "entry bundles, first read (build + file write)" "$work/u-bundles.txt" -once -c "$CONNS"
load "level-0 tiles from files" "$work/u-tiles.txt" -c "$CONNS" -d "${PER}s"
load "entry bundles from files" "$work/u-bundles.txt" -c "$CONNS" -d "${PER}s"
load "entry bundles from files, gzip" "$work/u-bundles.txt" -c "$CONNS" -d "${PER}s" -gzip
load "checkpoint (store, no-cache)" <(yes "$base/checkpoint" | head -100) -c "$CONNS" -d "${PER}s"
curl -sf "http://127.0.0.1:$up_port/metrics" -H "Authorization: Bearer $token" 2>/dev/null |
    grep -E '^edge_ledger_upstream_(log_read|tile_files)' | sed 's/^/  /' || true

# --- nginx in front ------------------------------------------------------------------------------
if [ "${NGINX:-1}" != 0 ]; then
    command -v nginx >/dev/null || die "nginx is missing (apt-get install nginx-light; or NGINX=0)"
    ng_port=$(free_port)
    mkdir -p "$work/nginx/cache" "$work/nginx/tmp"
    cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work/nginx/tmp; proxy_temp_path $work/nginx/tmp;
    fastcgi_temp_path $work/nginx/tmp; uwsgi_temp_path $work/nginx/tmp; scgi_temp_path $work/nginx/tmp;
    proxy_cache_path $work/nginx/cache levels=1:2 keys_zone=tiles:16m max_size=4g inactive=1d use_temp_path=off;
    upstream edge { server 127.0.0.1:$up_port; keepalive 64; }
    server {
        listen 127.0.0.1:$ng_port;
        location / {
            proxy_pass http://edge;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache tiles;
            proxy_cache_lock on;
            add_header X-Cache-Status \$upstream_cache_status always;
        }
    }
}
CONF
    nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' >"$work/nginx/out.log" 2>&1 &
    nginx_pid=$!
    wait_listening "$ng_port" 20 || die "nginx did not start: $(cat "$work/nginx/out.log" "$work/nginx/error.log")"
    nbase="http://127.0.0.1:$ng_port/logs/$hash"
    echo "== through nginx (proxy_cache)"
    for p in tile/entries/001 tile/entries/001 checkpoint checkpoint; do
        printf '  GET %-18s %s\n' "$p" "$(curl -s -o /dev/null -D - "$nbase/$p" | tr -d '\r' |
            grep -iE '^(x-cache-status|cache-control):' | sort | paste -sd' ')"
    done
    urls "$nbase" tiles >"$work/n-tiles.txt"
    urls "$nbase" bundles >"$work/n-bundles.txt"
    load "level-0 tiles, first read (proxy MISS)" "$work/n-tiles.txt" -once -c "$CONNS"
    load "level-0 tiles (proxy HIT)" "$work/n-tiles.txt" -c "$CONNS" -d "${PER}s"
    load "entry bundles (proxy HIT after the first)" "$work/n-bundles.txt" -c "$CONNS" -d "${PER}s"
fi
