# shellcheck shell=bash
# Shared by the fleet scenarios of scripts/faults/ (fleet-takeover, postgres-restart,
# duplicate-enrollment); sourced after lib.sh, not run.
#
# A private PostgreSQL cluster (fsync on, scripts/lib/postgres.sh), gateways (real agents, each
# with its own origin and topics on the scenario's broker) that an upstream fleet pulls with one
# token (upstream "dc-1" on every gateway, which records its acknowledgements), the upstream
# instances (the real `edge-ledger-upstream`, one configuration each), enrollment through
# `edge-ledger enroll` and `edge-ledger-upstream gateways add`, and the checks of what the
# database holds against what each gateway signed.
#
# Environment: EDGE_LEDGER_UPSTREAM=PATH (default: beside the edge-ledger binary).

# shellcheck source=scripts/lib/postgres.sh
. "$FAULTS_ROOT/scripts/lib/postgres.sh"

# The token every instance pulls with, given to the enrolled gateways as token_env (so the
# registry holds its name, not the secret).
FLEET_TOKEN_ENV=EDGE_LEDGER_FAULTS_PULL_TOKEN
FLEET_PULL_TOKEN=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export "$FLEET_TOKEN_ENV=$FLEET_PULL_TOKEN"
FLEET_LEASE=${FLEET_LEASE:-3s}
FLEET_REGISTRY_INTERVAL=${FLEET_REGISTRY_INTERVAL:-500ms}
FLEET_WITNESS=faults.example/witness
DB_URL=""
FLEET_GWS=() # the gateways' numbers, in order

declare -gA UP_PORT=() UP_PID=() UP_CONF=() UP_LOG=()
declare -gA GW_DIR=() GW_CONF=() GW_DB=() GW_API=() GW_ORIGIN=() GW_PID=() GW_LOG=() GW_SIM=()

# fleet_start: the database (fsync on) with the schema (`edge-ledger-upstream migrate`), and the
# witness key the instances share. After fault_start.
fleet_start() {
    pg_find_bin || exit 2
    chmod 711 "$WORK" # the cluster runs as user postgres, its data under $WORK/pg
    pg_start "$WORK/pg" on || die "PostgreSQL did not start (log: $WORK/pg/postgres.log)"
    at_exit pg_stop
    DB_URL=$(pg_createdb upstream) || die "cannot create the database"
    "$BIN" keygen --alg ed25519 --name "$FLEET_WITNESS" --out "$WORK/witness" >"$WORK/witness-keygen.log" 2>&1 ||
        die "keygen for the witness failed: $(cat "$WORK/witness-keygen.log")"
}

# db SQL…: one query on the fleet's database (rows as a|b|c).
db() { pg_psql "$DB_URL" "$@"; }

# --- upstream instances -----------------------------------------------------------------------

# upstream_instance NAME [STORAGE_LINES]: writes instance NAME's configuration: the shared witness
# key, its own HTTP port, anonymous metrics and [storage] (default: the fleet's database with
# instance_id NAME, lease $FLEET_LEASE, registry_interval $FLEET_REGISTRY_INTERVAL).
upstream_instance() {
    local name=$1 dir="$WORK/up-$1"
    local storage=${2:-"url = \"$DB_URL\"
connections = 4
instance_id = \"$name\"
lease = \"$FLEET_LEASE\"
registry_interval = \"$FLEET_REGISTRY_INTERVAL\""}
    mkdir -p "$dir"
    UP_PORT[$name]=$(free_port)
    UP_CONF[$name]="$dir/upstream.toml"
    UP_LOG[$name]="$dir/upstream.log"
    cat >"${UP_CONF[$name]}" <<TOML
[witness]
name = "$FLEET_WITNESS"
key_file = "$WORK/witness/ed25519.key"

[http]
listen = "127.0.0.1:${UP_PORT[$name]}"

[storage]
$storage

[metrics]
allow_anonymous = true
TOML
}

# upstream NAME ARGS…: the upstream's command line with instance NAME's configuration.
upstream() {
    local name=$1
    shift
    "$UPSTREAM_BIN" "$@" --config "${UP_CONF[$name]}"
}

# upstream_start NAME: runs instance NAME in the background; waits until it listens.
upstream_start() {
    local name=$1
    echo "--- start at $(date -u +%T.%N)" >>"${UP_LOG[$name]}"
    "$UPSTREAM_BIN" run --config "${UP_CONF[$name]}" >>"${UP_LOG[$name]}" 2>&1 &
    UP_PID[$name]=$!
    track "${UP_PID[$name]}"
    local deadline=$((SECONDS + 60))
    until listening "${UP_PORT[$name]}"; do
        kill -0 "${UP_PID[$name]}" 2>/dev/null || die "upstream $name exited during start: $(tail -3 "${UP_LOG[$name]}")"
        [ $SECONDS -lt $deadline ] || die "upstream $name did not listen within 60 s"
        sleep 0.1
    done
}

# upstream_kill NAME SIGNAL: signals instance NAME and reaps it.
upstream_kill() {
    reap "${UP_PID[$1]:-}" "$2"
    UP_PID[$1]=""
}

# upstream_alive NAME: whether instance NAME still runs.
upstream_alive() { [ -n "${UP_PID[$1]:-}" ] && kill -0 "${UP_PID[$1]}" 2>/dev/null; }

# upstream_stop NAME: SIGTERM (releases its leases), at most 30 s; fails unless it exits 0.
upstream_stop() {
    local name=$1 pid=${UP_PID[$1]:-}
    [ -n "$pid" ] || return 0
    stop_process "$pid" 30 "upstream $name"
    untrack "$pid"
    UP_PID[$name]=""
    # shellcheck disable=SC2154 # set by stop_process (scripts/lib/processes.sh)
    [ "$stopped_status" = 0 ] || die "upstream $name exited with status $stopped_status after SIGTERM: $(tail -3 "${UP_LOG[$name]}")"
}

# up_readyz NAME: the HTTP status of instance NAME's /readyz (000 when it does not answer).
up_readyz() { curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:${UP_PORT[$1]}/readyz" || true; }

# up_metric NAME SERIES: one series of instance NAME's /metrics, as a whole number (empty when
# absent), e.g. up_metric a 'edge_ledger_witness_requests_total{outcome="unknownLog"}'.
up_metric() {
    { curl -fsS -m 5 "http://127.0.0.1:${UP_PORT[$1]}/metrics" 2>/dev/null || true; } |
        awk -v n="$2" '$1 == n { print int($2); exit }'
}

# --- gateways ---------------------------------------------------------------------------------

# fleet_gateway I [WITNESS_PORT WITNESS_KEY]: gateway I (origin faults.example/SCENARIO/gw-I,
# topics gwI/+/telemetry) whose API the fleet reads with its pull token, as upstream "dc-1"
# (whose acknowledgements the gateway records); with a witness, it also pushes its checkpoints
# to the upstream on WITNESS_PORT.
fleet_gateway() {
    local i=$1
    make_gateway "$WORK/gw-$i" "faults.example/$SCENARIO/gw-$i" "gw$i"
    GW_DIR[$i]=$GW GW_CONF[$i]=$CONF GW_DB[$i]=$DB GW_API[$i]=$API
    GW_ORIGIN[$i]="faults.example/$SCENARIO/gw-$i"
    FLEET_GWS+=("$i")
    GW_LOG[$i]="$GW/agent.log"
    cat >>"$CONF" <<TOML

[[http.tokens]]
name = "dc-1"
token_sha256 = "$(printf %s "$FLEET_PULL_TOKEN" | sha256sum | cut -d' ' -f1)"

[[upstreams]]
name = "dc-1"
TOML
    if [ $# -ge 3 ]; then
        cat >>"$CONF" <<TOML
url = "http://127.0.0.1:$2"
verifier_key = "$3"
timeout = "2s"

[upstreams.backoff]
initial = "200ms"
max = "1s"
TOML
    else
        echo "witness = false" >>"$CONF"
    fi
}

# gateway_start I: runs gateway I's agent.
gateway_start() {
    local i=$1
    CONF=${GW_CONF[$i]} API=${GW_API[$i]} GW=${GW_DIR[$i]} DB=${GW_DB[$i]}
    AGENT_LOG_FILE=${GW_LOG[$i]} start_agent
    GW_PID[$i]=$AGENT_PID
    AGENT_PID=""
}

# gateway_stop I: SIGTERM to gateway I's agent (fails unless it exits 0).
gateway_stop() {
    # shellcheck disable=SC2034 # AGENT_LOG: read by stop_agent
    AGENT_PID=${GW_PID[$1]:-} AGENT_LOG=${GW_LOG[$1]}
    stop_agent
    GW_PID[$1]=""
}

# gw_metric I SERIES: one series of gateway I's /metrics, as a whole number (empty when absent).
gw_metric() {
    { curl -fsS -m 5 -H @"$WORK/token.hdr" "${GW_API[$1]}/metrics" 2>/dev/null || true; } |
        awk -v n="$2" '$1 == n { print int($2); exit }'
}

# gw_entries I: the entries in gateway I's store (sealed or not).
gw_entries() {
    "$BIN" export --db "${GW_DB[$1]}" --summary 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])' 2>/dev/null || echo 0
}

# gw_simulate I COUNT RATE: publishes COUNT readings to gateway I's topics in the background
# (GW_SIM[I] is the simulator's pid, its --json summary in $WORK/sim-I.out).
gw_simulate() {
    local i=$1
    # The binary itself, not lib.sh's simulate function: $! must be the simulator, not a subshell.
    "$BIN" simulate --broker "127.0.0.1:$BROKER_PORT" --topic-prefix "gw$i" --sensors 4 --rate "$3" --count "$2" \
        --qos 1 --client-id "sim-$SCENARIO-$i" --json >>"$WORK/sim-$i.out" 2>&1 &
    GW_SIM[$i]=$!
    track "${GW_SIM[$i]}"
}

# gw_simulate_wait I SECONDS: waits for gateway I's simulator; prints the good readings it published.
gw_simulate_wait() {
    local i=$1 pid=${GW_SIM[$1]}
    wait_until "$2" "simulator $i" bash -c "! kill -0 $pid" || die "the simulator of gateway $i did not finish within $2 s"
    wait "$pid" 2>/dev/null || true
    untrack "$pid"
    GW_SIM[$i]=""
    sim_good "$WORK/sim-$i.out"
}

# gw_simulate_stop I: stops gateway I's simulator early (SIGTERM) and reaps it.
gw_simulate_stop() {
    local pid=${GW_SIM[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait_until 30 "simulator $1" bash -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    untrack "$pid"
    GW_SIM[$1]=""
}

# gw_enroll I INSTANCE [ARGS…]: `edge-ledger enroll` on gateway I (its API URL as the fleet reaches
# it), with a 1 s pull interval, then `edge-ledger-upstream gateways add --from` that file with the
# pull token's variable, through instance INSTANCE's configuration. Extra ARGS go to `gateways add`.
# Prints what `gateways add` printed; its exit status is the function's.
gw_enroll() {
    local i=$1 instance=$2 entry="$WORK/gw-$1.enroll.toml"
    shift 2
    if [ ! -f "$entry" ]; then
        "$BIN" enroll --config "${GW_CONF[$i]}" --url "${GW_API[$i]}" --output "$entry" >"$WORK/enroll-$i.log" 2>&1 ||
            die "edge-ledger enroll failed: $(cat "$WORK/enroll-$i.log")"
        grep -q "^origin = \"${GW_ORIGIN[$i]}\"" "$entry" || die "edge-ledger enroll wrote no origin: $(cat "$entry")"
        sed -i 's/^pull_interval = .*/pull_interval = "1s"/' "$entry"
    fi
    upstream "$instance" gateways add --from "$entry" --token-env "$FLEET_TOKEN_ENV" "$@" 2>&1
}

# --- the database -----------------------------------------------------------------------------

# gw_row I: "verified staged acked holder token" of gateway I in the database (empty when it has
# no row).
gw_row() {
    db "SELECT verified_size, staged_size, acked_size, coalesce(lease_holder, '-'), lease_token FROM gateways
        WHERE origin = '${GW_ORIGIN[$1]}'" 2>/dev/null | tr '|' ' '
}
gw_verified() { db "SELECT verified_size FROM gateways WHERE origin = '${GW_ORIGIN[$1]}'" 2>/dev/null || true; }
gw_holder() { db "SELECT coalesce(lease_holder, '-') FROM gateways WHERE origin = '${GW_ORIGIN[$1]}'" 2>/dev/null || true; }

# gw_verified_at_least I N: whether the database has N entries of gateway I verified.
gw_verified_at_least() {
    local v
    v=$(gw_verified "$1")
    [ -n "$v" ] && [ "$v" -ge "$2" ]
}

# gw_settle I SECONDS: waits until gateway I has sealed every entry it stored and its size stays
# the same for 2 s (its simulator done); prints that size.
gw_settle() { settle "$2" "gateway $1" gw_sealed gw_entries "$1"; }
gw_sealed() { gw_metric "$1" edge_ledger_sealed_size; }

# fleet_collected_check SECONDS: once every gateway's simulator is done (its size settled), waits
# up to SECONDS until the upstreams verified each whole log, lets the last acknowledgements arrive
# (the gateways' next pull), then checks each log in the database (check_collected). Sets
# FLEET_SIZES and FLEET_TOTAL; returns non-zero when a check failed (the summary is printed as
# progress).
fleet_collected_check() {
    local seconds=$1 i k=0 line failed=0 checks=""
    FLEET_SIZES=()
    for i in "${FLEET_GWS[@]}"; do FLEET_SIZES+=("$(gw_settle "$i" 60)"); done
    wait_until "$seconds" "collection complete" fleet_verified_all ||
        die "collection did not complete within $seconds s (sizes ${FLEET_SIZES[*]}; rows: $(for i in "${FLEET_GWS[@]}"; do printf '[%s] ' "$(gw_row "$i")"; done))"
    sleep 3
    FLEET_TOTAL=0
    for i in "${FLEET_GWS[@]}"; do
        line=$(check_collected "$i" "${FLEET_SIZES[k]}") || failed=1
        checks+="$line; "
        FLEET_TOTAL=$((FLEET_TOTAL + FLEET_SIZES[k]))
        k=$((k + 1))
    done
    progress "${checks%; }"
    return $failed
}

# fleet_verified_all: every gateway's verified size has reached its FLEET_SIZES entry.
fleet_verified_all() {
    local k=0 i
    for i in "${FLEET_GWS[@]}"; do
        gw_verified_at_least "$i" "${FLEET_SIZES[k]}" || return 1
        k=$((k + 1))
    done
}

# check_collected I SIZE: the database holds gateway I's log up to SIZE exactly as the gateway
# signed it: verified = staged = SIZE, entries 0..SIZE-1 each once (count = distinct = max+1, no
# gap, none beyond), the same bytes in the same order as `edge-ledger export --format raw` of the
# gateway (SHA-256 over the length-framed entries), acked <= verified in the database and on the
# gateway (its edge_ledger_upstream_acked_size for dc-1). Prints one summary; exits non-zero on
# a failed check (after printing what failed on stderr).
check_collected() {
    local i=$1 size=$2 row verified staged acked count distinct top ours theirs gw_acked ok=0
    row=$(db "SELECT g.verified_size, g.staged_size, g.acked_size, count(e.idx), count(DISTINCT e.idx),
        coalesce(max(e.idx) + 1, 0) FROM gateways g LEFT JOIN collected_entries e ON e.gateway = g.id
        WHERE g.origin = '${GW_ORIGIN[$i]}' GROUP BY g.id") || die "cannot read gateway $i in the database"
    IFS='|' read -r verified staged acked count distinct top <<<"$row"
    ours=$(db "SELECT encode(sha256(coalesce(string_agg(substring(int4send(length(e.data)) FROM 3 FOR 2) || e.data,
        ''::bytea ORDER BY e.idx), ''::bytea)), 'hex') FROM collected_entries e JOIN gateways g ON g.id = e.gateway
        WHERE g.origin = '${GW_ORIGIN[$i]}' AND e.idx < $size")
    theirs=$("$BIN" export --db "${GW_DB[$i]}" --to "$size" --format raw 2>>"$WORK/export.log" | sha256sum | cut -d' ' -f1)
    gw_acked=$(gw_metric "$i" 'edge_ledger_upstream_acked_size{upstream="dc-1"}')
    [ "$verified" = "$size" ] || { say "gw-$i: verified $verified, the gateway signed $size"; ok=1; }
    [ "$staged" = "$verified" ] || { say "gw-$i: staged $staged != verified $verified"; ok=1; }
    [ "$count" = "$distinct" ] || { say "gw-$i: $count entry rows, $distinct distinct indexes (stored twice)"; ok=1; }
    [ "$count" = "$top" ] || { say "gw-$i: $count entries but the highest index is $((top - 1)) (a gap)"; ok=1; }
    [ "$top" = "$staged" ] || { say "gw-$i: entries up to $top, staged size $staged"; ok=1; }
    [ "$ours" = "$theirs" ] || { say "gw-$i: the entries differ from the gateway's (sha256 $ours, gateway $theirs)"; ok=1; }
    [ "$acked" -le "$verified" ] || { say "gw-$i: acked $acked > verified $verified in the database"; ok=1; }
    [ -n "$gw_acked" ] && [ "$gw_acked" -le "$verified" ] ||
        { say "gw-$i: the gateway's acked size for dc-1 is '${gw_acked}', verified $verified"; ok=1; }
    echo "gw-$i $count entries 0..$((top - 1)) once each, same bytes as the gateway, acked $acked (gateway: $gw_acked) <= verified $verified"
    return $ok
}

# acked_within I: whether gateway I's acknowledged size for dc-1 (its own record) is at most what
# the database holds as verified (prints "acked A <= verified V", or what is wrong).
acked_within() {
    local acked verified
    acked=$(gw_metric "$1" 'edge_ledger_upstream_acked_size{upstream="dc-1"}')
    verified=$(gw_verified "$1")
    if [ -n "$acked" ] && [ -n "$verified" ] && [ "$acked" -le "$verified" ]; then
        echo "gw-$1 acked $acked <= verified $verified"
        return 0
    fi
    echo "gw-$1 ACKED '${acked}' BEYOND verified '${verified}'"
    return 1
}

# fleet_holders: "gw-1=a gw-2=b …" (the lease holder of each gateway).
fleet_holders() {
    local i out=""
    for i in "${FLEET_GWS[@]}"; do out+="gw-$i=$(gw_holder "$i") "; done
    echo "${out% }"
}

# fleet_split: "a 2, b 1" (leases held per instance).
fleet_split() {
    db "SELECT lease_holder, count(*) FROM gateways WHERE lease_holder IS NOT NULL AND settings IS NOT NULL
        GROUP BY lease_holder ORDER BY lease_holder" | sed 's/|/ /' | paste -sd, - | sed 's/,/, /g'
}

# now_s: the time in seconds with milliseconds; elapsed_since T: seconds since T, one decimal.
now_s() { date +%s.%N; }
elapsed_since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now_s)"; }
