#!/usr/bin/env bash
# Fuzzes EdgeLedger's parsers of untrusted input with libFuzzer (swiftc -sanitize=fuzzer,address):
#   entry            the Entry v1/v2 decoder                   (Sources/EdgeLedgerCore/Entry.swift)
#   note             signed notes, checkpoints, signature lines, verifier keys (EdgeLedgerCore)
#   witness-request  the tlog-witness add-checkpoint body      (Sources/EdgeLedgerCore/WitnessRequest.swift)
#   mirror-upload    the tlog-mirror add-entries body and mirror-info (Sources/EdgeLedgerCore/Mirror/)
#   tile-path        the tlog-tiles path parser, TileID         (Sources/EdgeLedgerCore/TileID.swift)
#   toml-config      the configuration loader: the TOML 1.0 parser, conversion, schema validation
#   sparkplug        the Sparkplug B decoder: topic, protobuf Payload (SwiftProtobuf), nesting bound,
#                    gap records                               (Sources/EdgeLedgerSparkplug/)
# Each target is built from the project's sources with coverage and AddressSanitizer (the harnesses
# are in Fuzz/<target>/), seeded from Fuzz/corpus/<target>/ plus seeds generated from
# ../shared/vectors when present, and run for SECONDS. Any crash, trap, sanitizer report, timeout
# or out-of-memory fails the run; the reproducer is printed and kept under .build/fuzz/artifacts/.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  per target (default 60; FUZZ_SECONDS also sets it)
#   TARGET   some of the targets above (default: all)
# Reproduce a crash:   SWIFT_BACKTRACE=enable=no .build/fuzz/bin/fuzz-<target> <reproducer file>
# Builds go to .build/fuzz/ (rebuilt only when the sources change); the corpus grown by a run stays
# in .build/fuzz/corpus/, the committed seeds are never modified.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

seconds=${FUZZ_SECONDS:-60}
if (($#)) && [[ $1 =~ ^[0-9]+$ ]]; then
    seconds=$1
    shift
fi
all_targets=(entry note witness-request mirror-upload tile-path toml-config sparkplug)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target $t (${all_targets[*]})" >&2; exit 2; }
done

out=$repo/.build/fuzz
mods=$out/modules
mkdir -p "$out/bin" "$out/lib" "$mods" "$out/artifacts" "$out/logs"
swiftc=${SWIFTC:-swiftc}
toolchain_bin=$(dirname "$(command -v "$swiftc")")
clangxx=$toolchain_bin/clang++
[ -x "$clangxx" ] || clangxx=clang++
# -O keeps Swift's runtime checks (overflow, bounds, preconditions): only -Ounchecked drops them.
swift_flags=(-O -g -sanitize=fuzzer,address -parse-as-library -I "$mods" -L "$out/lib")

# --- build --------------------------------------------------------------------------------------

# Rebuilds OUTPUT only when the inputs or the flags changed: stamp_ok OUTPUT INPUT... / stamp_write.
stamp_of() { { printf '%s\n' "${swift_flags[*]}" "$("$swiftc" --version 2>&1 | head -1)"; cat "$@"; } | sha256sum | cut -c1-16; }
stamp_ok() { local o=$1; shift; [ -e "$o" ] && [ -f "$o.stamp" ] && [ "$(cat "$o.stamp")" = "$(stamp_of "$@")" ]; }
stamp_write() { local o=$1; shift; stamp_of "$@" >"$o.stamp"; }

# swift_library NAME LANGUAGE_MODE [extra flags --] SOURCES...: a static library and its module.
swift_library() {
    local name=$1 mode=$2
    shift 2
    local extra=()
    if [[ " $* " == *" -- "* ]]; then
        while [ "$1" != "--" ]; do extra+=("$1"); shift; done
        shift
    fi
    local lib=$out/lib/lib$name.a
    if stamp_ok "$lib" "$@"; then return; fi
    echo "fuzz: building $name ($# files)"
    "$swiftc" "${swift_flags[@]}" "${extra[@]}" -swift-version "$mode" -module-name "$name" -wmo \
        -emit-module -emit-module-path "$mods/$name.swiftmodule" -emit-library -static -o "$lib" "$@" \
        >"$out/logs/build-$name.log" 2>&1 || { cat "$out/logs/build-$name.log" >&2; exit 1; }
    stamp_write "$lib" "$@"
}

core_sources() { find Sources/EdgeLedgerCore -name '*.swift' | LC_ALL=C sort; }
mapfile -t core < <(core_sources)
swift_library EdgeLedgerCore 6 "${core[@]}"

# The Sparkplug decoder and its dependency, SwiftProtobuf, from the package's checkout (built by
# `swift build`, or fetched here with `swift package resolve`); its traits stay off, as in Package.swift.
if [[ " ${targets[*]} " == *" sparkplug "* ]]; then
    protobuf=.build/checkouts/swift-protobuf/Sources/SwiftProtobuf
    [ -d "$protobuf" ] || swift package resolve >/dev/null
    mapfile -t protobuf_sources < <(find "$protobuf" -name '*.swift' | LC_ALL=C sort)
    # `package` declarations need a package name, as SwiftPM gives one.
    swift_library SwiftProtobuf 6 -package-name swift_protobuf -- "${protobuf_sources[@]}"
    mapfile -t sparkplug_sources < <(find Sources/EdgeLedgerSparkplug -name '*.swift' | LC_ALL=C sort)
    swift_library EdgeLedgerSparkplug 6 "${sparkplug_sources[@]}"
fi

# harness TARGET: the fuzzer executable.
harness() {
    local t=$1 sources=() link=(-lEdgeLedgerCore) libs=("$out/lib/libEdgeLedgerCore.a")
    if [ "$t" = sparkplug ]; then
        link=(-lEdgeLedgerSparkplug -lSwiftProtobuf -lEdgeLedgerCore)
        libs+=("$out/lib/libSwiftProtobuf.a" "$out/lib/libEdgeLedgerSparkplug.a")
    fi
    mapfile -t sources < <(find "Fuzz/$t" -name '*.swift' | LC_ALL=C sort)
    local exe=$out/bin/fuzz-$t
    if stamp_ok "$exe" "${sources[@]}" "${libs[@]}"; then return; fi
    echo "fuzz: building fuzz-$t"
    "$swiftc" "${swift_flags[@]}" -swift-version 6 -module-name "Fuzz_${t//-/_}" "${sources[@]}" "${link[@]}" \
        -o "$exe" >"$out/logs/build-$t.log" 2>&1 || { cat "$out/logs/build-$t.log" >&2; exit 1; }
    stamp_write "$exe" "${sources[@]}" "${libs[@]}"
}

# --- seeds --------------------------------------------------------------------------------------

# Seeds made from the shared test vectors (read-only, beside the repository), written to DIR.
vector_seeds() {
    local t=$1 dir=$2 vectors=$repo/../shared/vectors
    [ -d "$vectors" ] && command -v python3 >/dev/null || return 0
    python3 - "$t" "$dir" "$vectors" <<'PY'
import base64, glob, json, os, sys
target, out, vectors = sys.argv[1:4]
def write(name, text):
    with open(os.path.join(out, "vec-" + name), "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
crypto = json.load(open(os.path.join(vectors, "crypto.json")))
notes = [v["signed_note"] for v in crypto.get("signed_note_ed25519", [])]
keys = [v["verifier_key"] for v in crypto.get("signed_note_ed25519", [])]
sig = notes[0].split("\n\n", 1)[1] if notes else ""
roots = crypto.get("rfc6962_roots", {}).get("roots_by_size", {})
checkpoints = ["example.com/log\n%s\n%s\n" % (n, base64.b64encode(bytes.fromhex(h)).decode()) for n, h in roots.items()]
proofs = []
for path in sorted(glob.glob(os.path.join(vectors, "rfc6962", "consistency", "*", "*.json")))[:12]:
    v = json.load(open(path))
    proofs.append((v.get("size1") or 0, v.get("proof") or [], v.get("size2") or 0, v.get("root2") or ""))
if target == "note":
    for i, n in enumerate(notes): write("note-%d" % i, n)
    for i, c in enumerate(checkpoints[:4]): write("checkpoint-%d" % i, c); write("signed-%d" % i, c + "\n" + sig)
    for i, k in enumerate(keys): write("vkey-%d" % i, k)
elif target == "witness-request":
    for i, (old, proof, size, root) in enumerate(proofs):
        cp = "example.com/log\n%d\n%s\n" % (size, root)
        write("request-%d" % i, "old %d\n%s\n%s\n%s" % (old, "".join(p + "\n" for p in proof), cp, sig))
elif target == "tile-path":
    for n, p in crypto.get("tlog_tiles_paths", {}).get("examples", {}).items():
        write("tile-0-" + n, "tile/0/" + p); write("entries-" + n, "tile/entries/" + p)
        write("partial-" + n, "tile/1/" + p + ".p/17")
elif target == "entry":
    for i, leaf in enumerate(crypto.get("rfc6962_roots", {}).get("leaves_hex", [])):
        topic, payload = b"plant-7/line-1/vec", bytes.fromhex(leaf)
        write("entry-%d" % i, bytes([1, 1]) + i.to_bytes(8, "big") + (1767225600000000000 + i).to_bytes(8, "big")
              + len(topic).to_bytes(2, "big") + topic + len(payload).to_bytes(4, "big") + payload)
PY
}

# --- run ----------------------------------------------------------------------------------------

passed=0 failed=0
summary=()
for t in "${targets[@]}"; do
    harness "$t"
done
for t in "${targets[@]}"; do
    corpus=$out/corpus/$t
    seeds=$out/seeds/$t
    rm -rf "$seeds" "$out/artifacts/$t"
    mkdir -p "$corpus" "$seeds" "$out/artifacts/$t"
    cp Fuzz/corpus/"$t"/* "$seeds"/ 2>/dev/null || true
    [ "$t" != toml-config ] || for f in Configs/*.toml; do cp "$f" "$seeds/configs-$(basename "$f")"; done
    vector_seeds "$t" "$seeds"
    log=$out/logs/run-$t.log
    # The first corpus directory receives new inputs; the seeds are only read.
    echo "fuzz: $t for ${seconds}s ($(find "$seeds" -type f | wc -l) seeds, $(find "$corpus" -type f | wc -l) in the grown corpus)"
    lsan="" extra=() chunk=$seconds
    if [ -f "Fuzz/$t/lsan.supp" ]; then
        # A target whose dependency leaks on every input (Fuzz/<target>/lsan.supp; none today,
        # TOMLKit's leaks were the reason while the configuration loader used it): suppress those leaks, turn off
        # libFuzzer's per-input leak search, which would run a full LSan scan for almost every
        # input (8 instead of ~250 runs/s), and run in chunks of at most 10 minutes, each going on
        # from the corpus the last one grew, so that the leaked memory is given
        # back before it reaches the memory limit (several GiB an hour otherwise).
        lsan="suppressions=$repo/Fuzz/$t/lsan.supp:print_suppressions=0"
        extra=(-detect_leaks=0)
        ((chunk <= ${FUZZ_CHUNK_SECONDS:-600})) || chunk=${FUZZ_CHUNK_SECONDS:-600}
    fi
    : >"$log"
    left=$seconds runs=0 rate="" status=0
    while ((left > 0 && status == 0)); do
        this=$((left < chunk ? left : chunk))
        left=$((left - this))
        set +e
        # Swift's own crash backtracer would run inside ASan and drown the report: libFuzzer and
        # ASan print the stack of a trap (with file and line) themselves.
        SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=$lsan timeout --kill-after=30 $((this + 300)) \
            "$out/bin/fuzz-$t" "$corpus" "$seeds" -max_total_time="$this" -timeout=10 -rss_limit_mb=2048 \
            -max_len=8192 -print_final_stats=1 "${extra[@]}" -artifact_prefix="$out/artifacts/$t/" \
            >"$log.part" 2>&1
        status=$?
        set -e
        cat "$log.part" >>"$log"
        runs=$((runs + $(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part" | tail -1 | grep . || echo 0)))
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log.part" | tail -1)
    done
    rm -f "$log.part"
    cov=$(grep -o "cov: [0-9]*" "$log" | tail -1 | cut -d" " -f2 || true)
    if [ "$status" -eq 0 ]; then
        passed=$((passed + 1))
        summary+=("$(printf '%-16s ok      %10s runs %8s/s  cov %5s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}")")
    else
        failed=$((failed + 1))
        summary+=("$(printf '%-16s FAILED  %10s runs (exit %s)' "$t" "${runs:-?}" "$status")")
        echo "fuzz: $t FAILED (exit $status); the end of its log ($log):" >&2
        grep -v '^#[0-9]' "$log" | tail -60 >&2
        for artifact in "$out/artifacts/$t"/*; do
            [ -f "$artifact" ] || continue
            echo "fuzz: reproducer $artifact ($(stat -c %s "$artifact") bytes), base64: $(base64 -w0 "$artifact" | cut -c1-2000)" >&2
            echo "fuzz: reproduce with: SWIFT_BACKTRACE=enable=no $out/bin/fuzz-$t $artifact" >&2
        done
    fi
done
echo "fuzz: results (${seconds}s per target)"
printf '  %s\n' "${summary[@]}"
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
