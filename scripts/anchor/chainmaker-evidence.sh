#!/usr/bin/env bash
# An anchoring hook for edge-ledger-upstream (anchor.command) that records each verified
# checkpoint in a ChainMaker chain through the standard evidence contract (CMEVI:
# Evidence(id, hash, metadata), FindById(id)), with ChainMaker's `cmc` command line tool.
#
# Idempotent, as the upstream needs it (docs/UPSTREAM.md, "Anchoring"): the contract refuses a
# duplicate id, so an attempt that landed but was killed by its timeout would otherwise fail
# forever. Before writing, and after a refused write, the hook looks the id up:
#   the id holds this hash      → exit 3 (anchor.already_anchored_status: counted as success)
#   the id holds another hash   → exit 5 (an alarm: somebody anchored something else under this
#                                 id; the job keeps retrying and the upstream logs it)
#   not there                   → Evidence(id, hash, metadata) → exit 0 once the transaction is
#                                 in a block (--sync-result)
#
# Environment (from anchor.environment in upstream.toml, e.g.
#   environment = ["PATH", "CMC=/opt/chainmaker/cmc", "CMC_SDK_CONF=/etc/edge-ledger/chainmaker/sdk_config.yml",
#                  "CMC_CONTRACT=evidence"]):
#   CMC            the cmc binary
#   CMC_SDK_CONF   the SDK configuration (chain id, org id, node addresses, the client's TLS and
#                  signing certificates and keys, the trust roots; docs/UPSTREAM.md)
#   CMC_CONTRACT   the evidence contract's name on the chain
# and, set by the upstream: EDGE_LEDGER_ANCHOR_ID (<origin>#<size>), EDGE_LEDGER_ANCHOR_HASH
# (the checkpoint's root, hex) and EDGE_LEDGER_ANCHOR_ATTEMPT. The anchoring document (JSON,
# with the signed checkpoint and its cosigners) arrives on stdin and becomes the metadata.
set -euo pipefail
: "${CMC:?set CMC in anchor.environment}" "${CMC_SDK_CONF:?}" "${CMC_CONTRACT:=evidence}"
id=${EDGE_LEDGER_ANCHOR_ID:?} hash=${EDGE_LEDGER_ANCHOR_HASH:?}
document=$(cat)

json_string() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# The hash stored under $id, or nothing when the id is not on the chain.
stored_hash() {
    local out
    out=$("$CMC" client contract user get --sdk-conf-path="$CMC_SDK_CONF" --contract-name="$CMC_CONTRACT" \
        --method=FindById --params="{\"id\":$(json_string "$id")}" 2>&1) || true
    printf '%s' "$out" | python3 -c '
import json, re, sys
text = sys.stdin.read()
match = re.search(r"\"hash\"\s*:\s*\"([0-9A-Fa-f]{64})\"", text.replace("\\\"", "\""))
print(match.group(1).lower() if match else "")'
}

check() {
    local found
    found=$(stored_hash)
    [ -n "$found" ] || return 1
    if [ "$found" = "${hash,,}" ]; then
        echo "$id is already anchored with this hash" >&2
        exit 3
    fi
    echo "$id is anchored with ANOTHER hash ($found, not $hash): investigate" >&2
    exit 5
}

check || true
params="{\"id\":$(json_string "$id"),\"hash\":$(json_string "${hash,,}"),\"metadata\":$(json_string "$document")}"
if "$CMC" client contract user invoke --sdk-conf-path="$CMC_SDK_CONF" --contract-name="$CMC_CONTRACT" \
    --method=Evidence --params="$params" --sync-result=true >&2; then
    exit 0
fi
# Refused: most likely a duplicate id written by an earlier attempt (or another instance).
check || true
exit 1
