#!/usr/bin/env bash
# Fault scenario: a forged cosignature (docs/UPSTREAM.md "Cosignatures are verified").
#
# The gateway pushes to witnesses that carry the same name: `dc-2` is the genuine reference
# upstream; `dc-1` and `dc-3` answer from an impostor (a real `edge-ledger-upstream` with its own
# key under that name: what a hijacked address would serve). `dc-1` and `dc-2` give the genuine
# witness's verifier_key, `dc-3` says `verify = false`. Expected: the impostor's line is refused
# ("does not verify") through dc-1 and dropped unverified through dc-3, never stored or served; `/checkpoint` serves exactly one cosignature under the witness's name,
# by the genuine key. And `check-config` rejects a witness entry without verifier_key, and warns
# about `verify = false`.
#
# Usage: scripts/faults/forged-cosignature.sh [--ci | --long] [--count N]
set -euo pipefail
# shellcheck source=scripts/faults/lib.sh
source "$(dirname "$0")/lib.sh"
count=500
parse_options 'count=20000' 'count=count' "$@"

fault_start
start_broker
make_gateway
origin="faults.example/$SCENARIO"
witness_name=faults.example/witness

# make_upstream DIR PORT TOKEN: an upstream named $witness_name with its own key, collecting
# the gateway with TOKEN; prints its verifier key.
make_upstream() {
    local dir=$1 port=$2 token=$3
    mkdir -p "$dir"
    "$BIN" keygen --alg ed25519 --name "$witness_name" --out "$dir/keys" >"$dir/keygen.log" 2>&1 ||
        die "keygen failed: $(cat "$dir/keygen.log")"
    {
        upstream_config "$witness_name" keys/ed25519.key "$port" "$origin" "$API" "$GW/verifier-keys.txt" \
            "token = \"$token\""
        printf 'pull_interval = "1s"\n\n[gateways.backoff]\ninitial = "200ms"\nmax = "1s"\n'
    } >"$dir/upstream.toml"
    "$UPSTREAM_BIN" run --config "$dir/upstream.toml" --print-verifier-key 2>"$dir/key.log" ||
        die "--print-verifier-key failed: $(cat "$dir/key.log")"
}
start_upstream() { # DIR
    (cd "$1" && exec "$UPSTREAM_BIN" run --config upstream.toml) >>"$1/upstream.log" 2>&1 &
    track $!
}

genuine_port=$(free_port) impostor_port=$(free_port)
genuine_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
impostor_token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
genuine_key=$(make_upstream "$WORK/genuine" "$genuine_port" "$genuine_token")
impostor_key=$(make_upstream "$WORK/impostor" "$impostor_port" "$impostor_token")
[ "${genuine_key%%+*}" = "${impostor_key%%+*}" ] || die "the two witnesses should share a name"

# --- check-config: no verifier_key is an error, verify = false a warning ----------------------
cp "$CONF" "$GW/no-key.toml"
printf '\n[[upstreams]]\nname = "dc-1"\nurl = "http://127.0.0.1:%s"\n' "$impostor_port" >>"$GW/no-key.toml"
if "$BIN" check-config "$GW/no-key.toml" >"$WORK/no-key.out" 2>&1; then
    die "check-config accepted a witness without verifier_key"
fi
grep -q 'upstreams\[0\].verifier_key: required key is missing' "$WORK/no-key.out" ||
    die "check-config did not name upstreams[0].verifier_key: $(head -3 "$WORK/no-key.out")"
cp "$GW/no-key.toml" "$GW/opt-out.toml"
printf 'verify = false\n' >>"$GW/opt-out.toml"
"$BIN" check-config "$GW/opt-out.toml" >"$WORK/opt-out.out" 2>&1 ||
    die "check-config refused verify = false: $(head -3 "$WORK/opt-out.out")"
grep -q 'upstreams\[0\].verify: false' "$WORK/opt-out.out" ||
    die "check-config did not warn about verify = false: $(cat "$WORK/opt-out.out")"

# --- the gateway pushes to both --------------------------------------------------------------
cat >>"$CONF" <<TOML

[[http.tokens]]
name = "dc-1"
token_sha256 = "$(printf %s "$impostor_token" | sha256sum | cut -d' ' -f1)"

[[http.tokens]]
name = "dc-2"
token_sha256 = "$(printf %s "$genuine_token" | sha256sum | cut -d' ' -f1)"

[[upstreams]]
name = "dc-1"
url = "http://127.0.0.1:$impostor_port"
verifier_key = "$genuine_key"

[upstreams.backoff]
initial = "200ms"
max = "1s"

[[upstreams]]
name = "dc-3"
url = "http://127.0.0.1:$impostor_port"
verify = false

[upstreams.backoff]
initial = "200ms"
max = "1s"

[[upstreams]]
name = "dc-2"
url = "http://127.0.0.1:$genuine_port"
verifier_key = "$genuine_key"

[upstreams.backoff]
initial = "200ms"
max = "1s"
TOML
start_upstream "$WORK/genuine"
start_upstream "$WORK/impostor"
wait_until 30 "upstreams" listening "$genuine_port" || die "the genuine upstream did not start"
wait_until 30 "upstreams" listening "$impostor_port" || die "the impostor upstream did not start"
start_agent
simulate --sensors 4 --rate 2000 --count "$count" --qos 1 --client-id forged-sim >"$WORK/sim.out" 2>&1 ||
    die "the simulator failed: $(tail -3 "$WORK/sim.out")"
wait_drained "$count" || die "the readings were not stored"

# cosigned_lines: the /checkpoint lines signed under the witness's name, as "KEYID" (hex).
cosigned_lines() {
    curl -fsS -m 5 -H @"$WORK/token.hdr" "$API/checkpoint" | python3 -c '
import base64, sys
name = sys.argv[1]
for line in sys.stdin.read().split("\n"):
    if line.startswith("\u2014 " + name + " "):
        print(base64.b64decode(line.split(" ")[2])[:4].hex())' "$witness_name"
}
genuine_id=${genuine_key#*+}; genuine_id=${genuine_id%%+*}
impostor_id=${impostor_key#*+}; impostor_id=${impostor_id%%+*}
genuine_only() { [ "$(cosigned_lines | paste -sd' ')" = "$genuine_id" ]; }
wait_until 90 "the genuine cosignature served" genuine_only ||
    die "/checkpoint serves [$(cosigned_lines | paste -sd' ')] under $witness_name, expected only the genuine key $genuine_id"
wait_until 30 "the forged line refused" grep -q 'does not verify' "$AGENT_LOG" ||
    die "the agent did not report the impostor's line"
served=$(cosigned_lines | paste -sd' ')
sleep 2 # more pushes and answers
genuine_only || die "a forged line appeared: $(cosigned_lines | paste -sd' ')"
refusals=$(grep -c 'does not verify' "$AGENT_LOG" || true)
stop_agent

echo "forged-cosignature: impostor's line (key $impostor_id) refused $refusals time(s) and never served; /checkpoint serves one line under $witness_name, by the genuine key $served; check-config: no verifier_key is an error, verify = false a warning"
