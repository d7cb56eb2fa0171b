# shellcheck shell=bash
# Shared by the push scenarios on the SQLite upstream (push-upload, push-refusals); sourced after
# lib.sh, not run.
#
# One reference upstream (`edge-ledger-upstream run`, SQLite store, durability process) with a
# witness and a [mirror], gateways enrolled for push (`gateways add --mode push`, each with its own
# bearer token in `witness_clients`), and mirror_proxy.py between the gateways and the mirror,
# which cuts requests, drops answers, slows uploads or captures bodies. What the store holds is
# read from its file (mirror_check.py store), also while the upstream runs.

MIRROR_NAME=faults.example/mirror
WITNESS_NAME=faults.example/witness
UP_DIR="" UP_PORT="" UP_PID="" UP_URL="" MIRROR_KEY=""
PROXY_PORT="" PROXY_PID="" PROXY_LOG=""
declare -gA PUSH_TOKEN=()

# push_upstream_init: keys, configuration and an empty store in $WORK/up (after fault_start).
push_upstream_init() {
    UP_DIR="$WORK/up"
    UP_PORT=$(free_port)
    UP_URL="http://127.0.0.1:$UP_PORT"
    mkdir -p "$UP_DIR"
    "$BIN" keygen --alg ed25519 --name "$WITNESS_NAME" --out "$UP_DIR/witness" >"$UP_DIR/keygen.log" 2>&1 &&
        "$BIN" keygen --alg ed25519 --name "$MIRROR_NAME" --out "$UP_DIR/mirror" >>"$UP_DIR/keygen.log" 2>&1 ||
        die "keygen failed: $(cat "$UP_DIR/keygen.log")"
    cat >"$UP_DIR/upstream.toml" <<TOML
[witness]
name = "$WITNESS_NAME"
key_file = "witness/ed25519.key"

[mirror]
name = "$MIRROR_NAME"
key_file = "mirror/ed25519.key"

[http]
listen = "127.0.0.1:$UP_PORT"
max_connections_per_client = 100

[storage]
path = "upstream.db"
durability = "process"

[metrics]
allow_anonymous = true
TOML
    MIRROR_KEY=$(cd "$UP_DIR" && "$UPSTREAM_BIN" run --config upstream.toml --print-mirror-key 2>"$UP_DIR/key.log") ||
        die "--print-mirror-key failed: $(cat "$UP_DIR/key.log")"
}

# push_gateway NAME: the current gateway ($CONF, after make_gateway) pushes to the mirror through
# the proxy as upstream "dc-1" with its own token; the upstream gets the token (`[[http.tokens]]`
# NAME) and enrolls the gateway for push with NAME as its only witness client. Before the
# upstream runs (SQLite: one writer).
push_gateway() {
    local name=$1 token entry="$WORK/$1.enroll.toml" out
    token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
    # shellcheck disable=SC2034 # read by the scenarios
    PUSH_TOKEN[$name]=$token
    [ -n "$PROXY_PORT" ] || PROXY_PORT=$(free_port)
    cat >>"$CONF" <<TOML

[[upstreams]]
name = "dc-1"
mode = "push"
url = "http://127.0.0.1:$PROXY_PORT/mirror"
mirror_key = "$MIRROR_KEY"
token = "$token"
required_for_retention = true
timeout = "5s"

[upstreams.backoff]
initial = "100ms"
max = "500ms"
TOML
    cat >>"$UP_DIR/upstream.toml" <<TOML

[[http.tokens]]
name = "$name"
token_sha256 = "$(printf %s "$token" | sha256sum | cut -d' ' -f1)"
TOML
    "$BIN" enroll --config "$CONF" --url "http://127.0.0.1:1" --witness-client "$name" --output "$entry" \
        >"$WORK/enroll-$name.log" 2>&1 || die "edge-ledger enroll failed: $(cat "$WORK/enroll-$name.log")"
    out=$(cd "$UP_DIR" && "$UPSTREAM_BIN" gateways add --config upstream.toml --from "$entry" --mode push 2>&1) ||
        die "gateways add --mode push failed: $out"
}

# push_upstream_start: runs the upstream; waits until it listens.
push_upstream_start() {
    echo "--- start at $(date -u +%T.%N)" >>"$UP_DIR/upstream.log"
    (cd "$UP_DIR" && exec "$UPSTREAM_BIN" run --config upstream.toml) >>"$UP_DIR/upstream.log" 2>&1 &
    UP_PID=$!
    track "$UP_PID"
    wait_until 60 "upstream" listening "$UP_PORT" || die "the upstream did not listen within 60 s: $(tail -3 "$UP_DIR/upstream.log")"
}

# push_upstream_kill SIGNAL: signals the upstream and reaps it.
push_upstream_kill() {
    reap "$UP_PID" "$1"
    UP_PID=""
}

# proxy_start ARGS…: mirror_proxy.py from $PROXY_PORT to the upstream, logging to $PROXY_LOG
# (appended: one log across restarts of the proxy).
proxy_start() {
    PROXY_LOG="$WORK/proxy.jsonl"
    python3 "$FAULTS_DIR/mirror_proxy.py" --listen "$PROXY_PORT" --target "$UP_PORT" --log "$PROXY_LOG" "$@" \
        >>"$WORK/proxy.err" 2>&1 &
    PROXY_PID=$!
    track "$PROXY_PID"
    wait_until 15 "proxy" listening "$PROXY_PORT" || die "the proxy did not listen within 15 s: $(tail -3 "$WORK/proxy.err")"
}

proxy_stop() {
    reap "$PROXY_PID" TERM
    PROXY_PID=""
}

# up_store ORIGIN: what the store holds of ORIGIN: "verified V staged S entries N sha256 H
# pending P forks F" (mirror_check.py store).
up_store() { python3 "$FAULTS_DIR/mirror_check.py" store "$UP_DIR/upstream.db" "$1"; }

# up_series SERIES: one series of the upstream's /metrics as a whole number (empty when absent).
up_series() {
    { curl -fsS -m 5 "$UP_URL/metrics" 2>/dev/null || true; } | awk -v n="$1" '$1 == n { print int($2); exit }'
}

# gw_acked: the gateway's acknowledged size for dc-1 (the mirror's verified cosignature).
gw_acked() { metric 'edge_ledger_upstream_acked_size{upstream="dc-1"}' | cut -d. -f1; }

# gw_sealed_settled SECONDS: waits until the gateway sealed every entry it stored and its size
# stays for 2 s; prints it.
gw_sealed_settled() { settle "$1" "the gateway" sealed_size stored_entries; }
sealed_size() { metric edge_ledger_sealed_size | cut -d. -f1; }
stored_entries() {
    "$BIN" export --db "$DB" --summary 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])' 2>/dev/null || echo 0
}

# publish COUNT: COUNT readings to the gateway's topics, as fast as it takes them; waits for the
# simulator (at most 300 s) and prints how many it published.
publish() {
    simulate --sensors 4 --rate 0 --count "$1" --qos 1 --client-id "sim-$SCENARIO-$RANDOM" --json \
        >>"$WORK/sim.out" 2>&1 || die "the simulator failed: $(tail -3 "$WORK/sim.out")"
    sim_good "$WORK/sim.out"
}

# gateway_raw_sha SIZE: SHA-256 of the gateway's entries 0..<SIZE as `export --format raw`.
gateway_raw_sha() { "$BIN" export --db "$DB" --to "$1" --format raw 2>>"$WORK/export.log" | sha256sum | cut -d' ' -f1; }

# check_mirrored ORIGIN SIZE: the store holds the gateway's log up to SIZE exactly as the gateway
# signed it (verified = staged = entries = SIZE, same bytes, no pending checkpoint below it, no
# fork evidence). Prints the store's line; dies on a difference.
check_mirrored() {
    local line verified staged entries sha forks
    line=$(up_store "$1") || die "the store's bundles are malformed: $line"
    read -r _ verified _ staged _ entries _ sha _ _ _ forks <<<"$line"
    [ "$verified" = "$2" ] && [ "$staged" = "$2" ] && [ "$entries" = "$2" ] ||
        die "the store holds verified $verified, staged $staged, $entries entries; the gateway signed $2"
    [ "$sha" = "$(gateway_raw_sha "$2")" ] || die "the stored entries differ from the gateway's (sha256 $sha)"
    [ "$forks" = 0 ] || die "fork evidence was stored for $1"
    echo "$line"
}
