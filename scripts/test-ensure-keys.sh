#!/usr/bin/env bash
# Tests systemd/ensure-keys against symbolic-link attacks: it runs as root, in key directories
# that a service user might be able to write to. Checks: a key is created 0600 (owned by
# --user when run as root) in a new directory that the user cannot write to; a dangling link,
# a linked key directory and a linked .pub are refused without writing through them; a
# directory that others can write to is refused.
#
# Usage: scripts/test-ensure-keys.sh [--binary PATH]
# Needs a built edge-ledger (default .build/debug/edge-ledger). Ownership checks run as root only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
binary=${EDGE_LEDGER_BIN:-$repo/.build/debug/edge-ledger}
[ "${1:-}" = --binary ] && binary=$2
[ -x "$binary" ] || { echo "test-ensure-keys: no edge-ledger at $binary; build it first" >&2; exit 1; }
ensure=$repo/systemd/ensure-keys
work=$(mktemp -d "${TMPDIR:-/tmp}/edge-ledger-ensure-keys.XXXXXX")
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
failed=0 total=0
check() {
    local name=$1
    shift
    total=$((total + 1))
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failed=$((failed + 1)); fi
}
config() { # config DIR KEYPATH: a minimal agent configuration naming one signing key
    mkdir -p "$1"
    printf '[identity]\norigin = "factory.example/gw-1"\n\n[[keys.signing]]\npath = "%s"\n' "$2" >"$1/edge-ledger.toml"
}
run() { "$ensure" --edge-ledger "$binary" "$@" >"$work/out" 2>&1; }
user_args=()
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then user_args=(--user nobody); fi

# 1. A fresh key in a new directory.
config "$work/a" "$work/a/keys/ed25519.key"
check "fresh key created" run "${user_args[@]}" "$work/a/edge-ledger.toml"
check "key mode 600" test "$(stat -c %a "$work/a/keys/ed25519.key")" = 600
if [ ${#user_args[@]} -gt 0 ]; then
    check "key owned by the service user" test "$(stat -c %U "$work/a/keys/ed25519.key")" = nobody
    check "key directory owned by root, 750, service user's group" \
        test "$(stat -c '%U %a %G' "$work/a/keys")" = "root 750 $(id -gn nobody)"
fi

# 2. A dangling link where the key goes: refused, nothing written through it.
config "$work/b" "$work/b/keys/ed25519.key"
mkdir -p "$work/b/keys" && chmod 0700 "$work/b/keys"
ln -s "$work/victim" "$work/b/keys/ed25519.key"
check "dangling key link refused" bash -c '! "$0" --edge-ledger "$1" "$2" >"$3" 2>&1' \
    "$ensure" "$binary" "$work/b/edge-ledger.toml" "$work/out"
check "refusal names the link" grep -q "symbolic link" "$work/out"
check "nothing written through the link" test ! -e "$work/victim"

# 3. The key directory is a link to somewhere else.
config "$work/c" "$work/c/keys/ed25519.key"
mkdir -p "$work/elsewhere"
ln -s "$work/elsewhere" "$work/c/keys"
check "linked key directory refused" bash -c '! "$0" --edge-ledger "$1" "$2" >/dev/null 2>&1' \
    "$ensure" "$binary" "$work/c/edge-ledger.toml"
check "nothing created in the link's target" test -z "$(ls -A "$work/elsewhere")"

# 4. --print with the .pub replaced by a link to a secret.
echo "TOP-SECRET" >"$work/secret" && chmod 0600 "$work/secret"
rm -f "$work/a/keys/ed25519.pub" && ln -s "$work/secret" "$work/a/keys/ed25519.pub"
check "linked .pub refused" bash -c '! "$0" --edge-ledger "$1" --print "$2" >"$3" 2>&1' \
    "$ensure" "$binary" "$work/a/edge-ledger.toml" "$work/out"
check "the link's target is not printed" bash -c '! grep -q TOP-SECRET "$0"' "$work/out"

# 5. A key directory others can write to.
config "$work/d" "$work/d/keys/ed25519.key"
mkdir -p "$work/d/keys" && chmod 0777 "$work/d/keys"
check "world-writable key directory refused" bash -c '! "$0" --edge-ledger "$1" "$2" >/dev/null 2>&1' \
    "$ensure" "$binary" "$work/d/edge-ledger.toml"
check "no key made there" test ! -e "$work/d/keys/ed25519.key"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    chmod 0700 "$work/d/keys" && chown nobody "$work/d/keys"
    check "key directory owned by another user refused" bash -c '! "$0" --edge-ledger "$1" "$2" >/dev/null 2>&1' \
        "$ensure" "$binary" "$work/d/edge-ledger.toml"
fi

echo "test-ensure-keys: $((total - failed)) of $total checks passed"
[ $failed -eq 0 ]
