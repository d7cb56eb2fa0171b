#!/usr/bin/env bash
# Fault scenario: uploads the mirror must refuse, or answer without changing anything
# (docs/UPSTREAM.md "Push mode (tlog-mirror)").
#
# Two gateways enrolled for push on the reference upstream (SQLite store), each with its own
# token; gateway A runs and pushes through mirror_proxy.py, which captures every request body.
# (3) Replay: after A's second upload is acknowledged, the captured add-checkpoint and
# add-entries bodies of both uploads are sent again with A's token. (4) Wrong proof: A sets a
# third pending checkpoint while the proxy holds back its packages; the captured add-entries body
# is sent with one bit flipped in its first entry, then in its proof. (5) Another origin's
# credentials: A's captured bodies are sent with B's token (and with an unknown token, and with
# none). Expected: the replays are refused (409) or answered idempotently (200, the same
# cosignature), the wrong proofs get 422, the foreign credentials 403 (401 without a token); after
# each, what the store holds of A is exactly what it held before (sizes, entries, their SHA-256,
# pending checkpoints, no fork evidence) and nothing of B exists. Then the intact captured body
# is accepted (200, or 202 when it holds only the first 32 packages: the refusals were for the
# flipped bit, not for the body), and A's own next attempt is acknowledged at A's size.
#
# Usage: scripts/faults/push-refusals.sh [--ci | --long] [--count N]
#   --count N   readings per upload (default 700; three uploads)
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/faults/push-lib.sh
source "$FAULTS_DIR/push-lib.sh"

count=700
parse_options 'count=20000' 'count=count' "$@"

fault_start
start_broker
push_upstream_init
make_gateway "$WORK/gw-b" "faults.example/$SCENARIO/gw-b" gwb
push_gateway gw-b
make_gateway "$WORK/gw-a" "faults.example/$SCENARIO/gw-a" factory
push_gateway gw-a
origin_a="faults.example/$SCENARIO/gw-a" origin_b="faults.example/$SCENARIO/gw-b"
start_agent
push_upstream_start
acked_at() { [ "$(gw_acked)" = "$1" ]; }

# upload DIR: publishes --count readings and lets A push them through the proxy, which captures
# into DIR; waits for the acknowledgement; sets SIZE.
upload() {
    proxy_start --capture "$1"
    publish "$count" >/dev/null
    SIZE=$(gw_sealed_settled 120)
    wait_until 60 "acknowledged" acked_at "$SIZE" ||
        die "A's acknowledged size is $(gw_acked), not $SIZE ($(up_store "$origin_a"); $(tail -3 "$UP_DIR/upstream.log"))"
    proxy_stop
}
upload "$WORK/c1"
upload "$WORK/c2"
s2=$SIZE

# post ENDPOINT CAPTURE TOKEN [--raw]: sends a captured body (its Content-Encoding as captured,
# unless --raw) to the mirror; prints the HTTP status and the body's first line.
post() {
    local endpoint=$1 file=$2 token=$3 headers=()
    [ -z "$token" ] || headers+=(-H "Authorization: Bearer $token")
    if [ "${4:-}" != --raw ] && [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["content-encoding"] or "")' "${file%.body}.json")" = gzip ]; then
        headers+=(-H "Content-Encoding: gzip")
    fi
    curl -s -m 30 -o "$WORK/answer" -w '%{http_code}' "${headers[@]}" -H 'Content-Type: application/octet-stream' \
        --data-binary @"$file" "$UP_URL/mirror/$endpoint" || echo 000
    printf ' %s\n' "$(head -1 "$WORK/answer" 2>/dev/null | cut -c1-120)"
}
# unchanged WHAT BEFORE: the store holds of A what it held before WHAT, and nothing of B.
unchanged() {
    local now
    now=$(up_store "$origin_a")
    [ "$now" = "$2" ] || die "$1 changed the store: before '$2', after '$now'"
    [ "$(up_store "$origin_b" | awk '{ print $2, $4, $6 }')" = "0 0 0" ] || die "$1 stored entries of B: $(up_store "$origin_b")"
}
# expect STATUSES WHAT ANSWER: ANSWER's status is one of STATUSES (a|b).
expect() {
    [[ ${3%% *} =~ ^($1)$ ]] || die "$2: HTTP ${3} (expected $1)"
    progress "$2: HTTP $3"
}

# --- 3: replays of both uploads with A's own token ----------------------------------------------
before=$(up_store "$origin_a")
replays=0
for dir in "$WORK/c1" "$WORK/c2"; do
    for file in "$dir"/*.body; do
        endpoint=$(basename "$file" .body | cut -d- -f2-)
        answer=$(post "$endpoint" "$file" "${PUSH_TOKEN[gw-a]}")
        expect '200|409' "replay of $(basename "$file")" "$answer"
        replays=$((replays + 1))
    done
done
unchanged "the replays" "$before"
[ "$replays" -ge 4 ] || die "only $replays requests were captured (at least add-checkpoint and add-entries of each upload)"
grep -q '^verified '"$s2"' ' <<<"$before" || die "the store is not at A's size $s2: $before"

# --- 4: a package with a wrong proof ------------------------------------------------------------
proxy_start --capture "$WORK/c3" --hold-entries
publish "$count" >/dev/null
s3=$(gw_sealed_settled 120)
# held: the proxy's number of a held request carrying A's packages up to s3 (fails when none yet),
# the first of its window (the one starting at the mirror's next entry; the latest such).
held() {
    python3 -c 'import json,sys
held = [r for r in map(json.loads, open(sys.argv[1])) if r.get("upload_end") == int(sys.argv[2]) and r.get("start", 0) < r["end"] and r["cut"] == 0]
print("%04d" % min(held, key=lambda r: (r["start"], -r["n"]))["n"]) if held else sys.exit(1)' "$PROXY_LOG" "$s3"
}
wait_until 60 "packages held" held || die "A did not send its packages up to $s3 within 60 s ($(tail -2 "$PROXY_LOG"))"
proxy_stop # A's attempts fail from now on
capture=$(held)
body="$WORK/c3/$capture-add-entries.body"
checkpoint=$(find "$WORK/c3" -name '*-add-checkpoint.body' | sort | tail -1)
encoding=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["content-encoding"] or "identity")' "${body%.body}.json")
before=$(up_store "$origin_a")
for what in entry proof; do
    changed=$(python3 "$FAULTS_DIR/mirror_check.py" tamper "$body" "$encoding" "$what" "$WORK/tampered-$what") ||
        die "cannot tamper with the $what: $changed"
    answer=$(post add-entries "$WORK/tampered-$what" "${PUSH_TOKEN[gw-a]}" --raw)
    expect 422 "$changed" "$answer"
    unchanged "the package with a wrong $what" "$before"
done

# --- 5: credentials of another origin ------------------------------------------------------------
for who in gw-b unknown none; do
    case $who in
    gw-b) token=${PUSH_TOKEN[gw-b]} want=403 ;;
    unknown) token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n') want=403 ;;
    none) token="" want=401 ;;
    esac
    answer=$(post add-checkpoint "$checkpoint" "$token")
    expect "$want" "A's add-checkpoint with the token of $who" "$answer"
    answer=$(post add-entries "$body" "$token")
    expect "$want" "A's add-entries with the token of $who" "$answer"
    unchanged "the requests with the token of $who" "$before"
done

# --- the intact body is taken; A's next attempt is acknowledged ----------------------------------
# (200 when the body holds the whole upload; 202 when it holds its first 32 packages only.)
answer=$(post add-entries "$body" "${PUSH_TOKEN[gw-a]}")
expect '200|202' "the intact captured add-entries body" "$answer"
staged=$(up_store "$origin_a" | awk '{ print $4 }')
[ "$staged" -gt "$s2" ] || die "the intact body stored nothing (staged $staged)"
proxy_start
wait_until 60 "acknowledged" acked_at "$s3" || die "A's acknowledged size is $(gw_acked), not $s3"
line=$(check_mirrored "$origin_a" "$s3")
stop_agent
echo "push-refusals: $replays replayed requests of 2 acknowledged uploads answered 200/409, store unchanged; a flipped entry bit and a flipped proof bit: 422, nothing stored; A's bodies with B's token, an unknown token: 403, without a token: 401, nothing stored; the intact body then stored up to $staged, and A's acknowledgement followed at $s3 ($line)"
